/**
 * The JSON form of a hash, set or sorted set, for HTTP GET /v1/kv/<key> (DESIGN.md section 7):
 *
 *   { "type": "hash", "value": { "field": "value", ... } }
 *   { "type": "set",  "value": ["member", ...] }
 *   { "type": "zset", "value": [{ "member": "m", "score": 1.5 }, ...] }      by (score, member)
 *
 * Fields, members and values are UTF-8 text (invalid bytes become U+FFFD: JSON carries text);
 * binary data reads exactly through RESP. Infinite scores are the strings "inf" and "-inf".
 */
import { byScore, collectionOf, fieldBytes, presentElements } from '../datatypes/index.js';
import type { CollectionType } from '../datatypes/index.js';
import type { Versioned } from '../version/index.js';

export type TypedJson =
  | { readonly type: 'hash'; readonly value: Record<string, string> }
  | { readonly type: 'set'; readonly value: string[] }
  | { readonly type: 'zset'; readonly value: { member: string; score: number | string }[] };

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function typedJson(versioned: Versioned, type: CollectionType, nowMs: number): TypedJson {
  const elements = presentElements(collectionOf(versioned.collections, type), nowMs);
  if (type === 'hash') {
    const value: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const element of elements) {
      const bytes = fieldBytes(element);
      if (bytes !== undefined) value[text(element.member)] = text(bytes);
    }
    return { type, value };
  }
  if (type === 'set') return { type, value: elements.map((element) => text(element.member)) };
  return {
    type,
    value: byScore(elements).map(({ member, score }) => ({ member: text(member), score: Number.isFinite(score) ? score : score > 0 ? 'inf' : '-inf' })),
  };
}
