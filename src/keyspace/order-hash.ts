import { keyHash } from '../ring/index.js';

/** A key's place inside its vnode for SCAN: the low 32 bits of the hash whose top bits are the vnode. */
export function orderHash(key: Uint8Array): number {
  return Number(keyHash(key) & 0xffffffffn);
}
