/**
 * What a command handler answers, before encoding. Plain objects so a handler can build them
 * without touching buffers; the shared constants below cost no allocation per command.
 *
 *   simple   +OK\r\n                  text must not hold CR or LF (they are written as spaces)
 *   error    -ERR unknown command\r\n message is whole: 'ERR ...', 'WRONGTYPE ...'
 *   integer  :42\r\n                  a safe integer
 *   bulk     $5\r\nhello\r\n          bytes or text (UTF-8); null is $-1\r\n
 *   array    *2\r\n...                 nested replies; null is *-1\r\n
 *   raw      pre-encoded bytes written as they are (constants, a reply relayed from a node)
 *   close    +OK\r\n, then the server closes the connection (QUIT); not allowed inside an array
 */
export type ReplyValue =
  | { readonly kind: 'simple'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'bulk'; readonly value: Uint8Array | string | null }
  | { readonly kind: 'array'; readonly items: readonly ReplyValue[] | null }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

export interface CloseReply {
  readonly kind: 'close';
}

export type Reply = ReplyValue | CloseReply;

/**
 * Shared encoded constants. They are shared by every connection: never write into them.
 */
export const RESP_OK: Buffer = Buffer.from('+OK\r\n');
export const RESP_PONG: Buffer = Buffer.from('+PONG\r\n');
export const RESP_NULL_BULK: Buffer = Buffer.from('$-1\r\n');
export const RESP_NULL_ARRAY: Buffer = Buffer.from('*-1\r\n');
export const RESP_EMPTY_ARRAY: Buffer = Buffer.from('*0\r\n');
export const RESP_ZERO: Buffer = Buffer.from(':0\r\n');
export const RESP_ONE: Buffer = Buffer.from(':1\r\n');

/** Shared replies over the constants above. */
export const REPLIES = Object.freeze({
  ok: constant(RESP_OK),
  pong: constant(RESP_PONG),
  nullBulk: constant(RESP_NULL_BULK),
  nullArray: constant(RESP_NULL_ARRAY),
  emptyArray: constant(RESP_EMPTY_ARRAY),
  zero: constant(RESP_ZERO),
  one: constant(RESP_ONE),
  close: Object.freeze<CloseReply>({ kind: 'close' }),
});

export function simpleReply(text: string): ReplyValue {
  return { kind: 'simple', text };
}

/** `message` is the whole error line without the '-': 'ERR no such key', 'WRONGTYPE ...'. */
export function errorReply(message: string): ReplyValue {
  return { kind: 'error', message };
}

export function integerReply(value: number): ReplyValue {
  return { kind: 'integer', value };
}

export function bulkReply(value: Uint8Array | string | null): ReplyValue {
  return { kind: 'bulk', value };
}

export function arrayReply(items: readonly ReplyValue[] | null): ReplyValue {
  return { kind: 'array', items };
}

export function rawReply(bytes: Uint8Array): ReplyValue {
  return { kind: 'raw', bytes };
}

function constant(bytes: Buffer): ReplyValue {
  return Object.freeze(rawReply(bytes));
}

/**
 * Payload bytes of a reply (bulk and raw bytes, nested arrays), the part that can be large;
 * framing (a few bytes per item) is left out. Called once when a reply is queued, once when
 * written: the same number both times.
 */
export function replyBytes(reply: ReplyValue): number {
  switch (reply.kind) {
    case 'bulk': return reply.value === null ? 0 : reply.value.length;
    case 'raw': return reply.bytes.length;
    case 'array': {
      let bytes = 0;
      for (const item of reply.items ?? []) bytes += replyBytes(item);
      return bytes;
    }
    default: return 0;
  }
}
