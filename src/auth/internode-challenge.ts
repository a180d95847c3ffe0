import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-connection challenge that opens an internode link when a cluster token is set, so the
 * token itself never crosses the wire (with or without TLS):
 *
 *   client                                   node
 *     RC.CHALLENGE  ------------------------>  nonce = 32 fresh bytes, kept on this connection
 *                   <------------------------  $nonce
 *     RC.AUTH hex(HMAC(key, LABEL || nonce)) ->  compare in constant time, forget the nonce
 *                   <------------------------  +OK   (or -WRONGPASS, and the connection is closed)
 *
 *   key = SHA-256("ringcache internode auth v1" || token): a key of its own, so an answer is never
 *   also a valid context-token signature (that key is derived with another label).
 *
 * Replay-safe: a nonce answers one RC.AUTH on the connection that asked for it and is then
 * forgotten, and each connection gets fresh bytes, so an answer seen on the wire is worth
 * nothing on another connection or a second time. An eavesdropper learns a nonce and its HMAC,
 * from which the token cannot be recovered (a 256-bit token; HMAC-SHA256 is a PRF).
 */
export const CHALLENGE_COMMAND = 'RC.CHALLENGE';
export const ANSWER_COMMAND = 'RC.AUTH';
export const CHALLENGE_NONCE_BYTES = 32;
/** hex of an HMAC-SHA256: what RC.AUTH carries. */
export const CHALLENGE_ANSWER_CHARS = 64;

const KEY_LABEL = 'ringcache internode auth v1';
const ANSWER_LABEL = Buffer.from('RC.AUTH v1\n', 'latin1');

/** The HMAC key both ends derive from the cluster token. */
export function challengeKey(token: string): Buffer {
  return createHash('sha256').update(KEY_LABEL, 'utf8').update(token, 'utf8').digest();
}

/** The answer a client sends to `nonce`: hex, as a RESP bulk string of CHALLENGE_ANSWER_CHARS. */
export function challengeAnswer(key: Buffer, nonce: Uint8Array): string {
  return createHmac('sha256', key).update(ANSWER_LABEL).update(nonce).digest('hex');
}

/** True when `answer` is the answer to `nonce` under `key`; constant time in the answer's bytes. */
export function answerMatches(key: Buffer, nonce: Uint8Array, answer: Uint8Array): boolean {
  const expected = Buffer.from(challengeAnswer(key, nonce), 'latin1');
  return answer.length === expected.length && timingSafeEqual(expected, answer);
}
