/**
 * Readers of the fields every peer message is made of, shared by the codecs of every folder.
 * Each checks a field against its limit and throws RingcacheError RC_ERR_PROTOCOL naming the
 * field: a peer's bytes are never trusted (DESIGN.md section 8).
 */
import { RingcacheError } from '../runtime/index.js';
import type { RespValue } from '../resp/index.js';
import type { InternodeLimits } from './internode-codec.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function protocolError(problem: string): RingcacheError {
  return new RingcacheError('RC_ERR_PROTOCOL', `internode: ${problem}`);
}

/** Bytes as a Buffer without copying: encoders treat other Uint8Arrays as text. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Canonical decimal of a safe integer >= 0, read from bytes without building a string. */
export function decimal(bytes: Uint8Array, field: string): number {
  const length = bytes.length;
  if (length === 0 || length > 16 || (length > 1 && bytes[0] === 0x30)) {
    throw protocolError(`${field} is not a canonical decimal integer (${length} bytes)`);
  }
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) throw protocolError(`${field} is not a canonical decimal integer`);
    value = value * 10 + digit;
  }
  if (value > Number.MAX_SAFE_INTEGER) throw protocolError(`${field} is above 2^53-1`);
  return value;
}

/** `decimal` within [min, max]. */
export function decimalIn(bytes: Uint8Array, field: string, min: number, max: number): number {
  const value = decimal(bytes, field);
  if (value < min || value > max) throw protocolError(`${field} ${value} is outside ${min}..${max}`);
  return value;
}

export function vnodeArg(bytes: Uint8Array, limits: InternodeLimits): number {
  const vnode = decimal(bytes, 'vnode');
  if (vnode >= limits.vnodeCount) throw protocolError(`vnode ${vnode} is not below cluster.vnodeCount (${limits.vnodeCount})`);
  return vnode;
}

export function keyArg(bytes: Uint8Array, limits: InternodeLimits): Uint8Array {
  if (bytes.length === 0 || bytes.length > limits.keyBytesMax) {
    throw protocolError(`key of ${bytes.length} bytes is outside 1..limits.keyBytesMax (${limits.keyBytesMax})`);
  }
  return bytes;
}

/** A name our own code made (server id, request id, actor): 1..bytesMax bytes of UTF-8. */
export function nameArg(bytes: Uint8Array, bytesMax: number, field: string): string {
  if (bytes.length === 0 || bytes.length > bytesMax) {
    throw protocolError(`${field} of ${bytes.length} bytes is outside 1..${bytesMax}`);
  }
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw protocolError(`${field} is not valid UTF-8`);
  }
}

/** Checks a command's argument count, its name included. */
export function arity(args: readonly unknown[], expected: number, command: string): void {
  if (args.length !== expected) {
    throw protocolError(`wrong number of arguments for '${command.toLowerCase()}' command (got ${args.length - 1}, expected ${expected - 1})`);
  }
}

/** Checks a reply array's length, the epoch included. */
export function replyLength(items: readonly RespValue[], expected: number, kind: string): void {
  if (items.length !== expected) throw protocolError(`a '${kind}' reply is an array of ${expected}, got an array of ${items.length}`);
}

export function integerItem(item: RespValue | undefined, field: string, min: number): number {
  if (item?.kind !== 'integer' || item.value < min) throw protocolError(`${field} is not an integer >= ${min}, got ${describe(item)}`);
  return item.value;
}

export function bulkItem(item: RespValue | undefined, field: string): Buffer {
  if (item?.kind !== 'bulk' || item.value === null) throw protocolError(`${field} is not a bulk string, got ${describe(item)}`);
  return item.value;
}

export function describe(value: RespValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value.kind === 'array') return value.items === null ? 'a null array' : `an array of ${value.items.length}`;
  return `a ${value.kind}`;
}
