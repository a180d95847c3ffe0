/**
 * Drives a RespHandler directly, without sockets: each command's reply is encoded as the server
 * would write it, so tests compare exact bytes (`raw`) or decoded values (`call`).
 */
import { encodeReply, parseReplies, RESP_DEFAULTS } from '../../src/resp/index.js';
import type { RespConnection, RespHandler, RespValue } from '../../src/resp/index.js';

export class FakeConnection implements RespConnection {
  readonly state: Record<string, unknown> = {};
  closed = false;

  constructor(readonly id: number, readonly remoteAddress = `127.0.0.1:${String(40000 + id)}`) {}

  close(): void {
    this.closed = true;
  }
}

/** A decoded reply: simple strings as text, errors as { error }, bulk as text (UTF-8) or null. */
export type Plain = string | number | null | { readonly error: string } | readonly Plain[];

export function plain(value: RespValue): Plain {
  switch (value.kind) {
    case 'simple': return value.text;
    case 'error': return { error: value.message };
    case 'integer': return value.value;
    case 'bulk': return value.value === null ? null : value.value.toString('utf8');
    case 'array': return value.items === null ? null : value.items.map(plain);
  }
}

export class RespDriver {
  constructor(readonly handler: RespHandler, readonly connection: RespConnection = new FakeConnection(1)) {}

  /** The exact bytes of the reply ('+OK\r\n' for QUIT, which also closes). */
  async raw(...args: (string | Uint8Array)[]): Promise<Buffer> {
    const reply = await this.handler.onCommand(args.map((arg) => Buffer.from(arg)), this.connection);
    if (reply.kind === 'close') return Buffer.from('+OK\r\n');
    return encodeReply(reply);
  }

  async value(...args: (string | Uint8Array)[]): Promise<RespValue> {
    const replies = parseReplies(await this.raw(...args), { ...RESP_DEFAULTS, bulkBytesMax: 64 * 1024 * 1024 });
    if (replies.length !== 1) throw new Error(`expected one reply, got ${String(replies.length)}`);
    return replies[0]!;
  }

  async call(...args: (string | Uint8Array)[]): Promise<Plain> {
    return plain(await this.value(...args));
  }

  /** The reply as latin1 text, for exact comparisons of error lines. */
  async text(...args: (string | Uint8Array)[]): Promise<string> {
    return (await this.raw(...args)).toString('latin1');
  }
}
