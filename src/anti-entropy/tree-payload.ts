/**
 * Tree payloads (formats in payload.ts): the roots an exchange starts from, the responder's
 * verdicts on them, node and leaf lists in sections (one per vnode, vnodes ascending), and the
 * digests of nodes' children.
 */
import { RingcacheError } from '../runtime/index.js';
import type { DigestWidth } from './merkle-tree.js';
import { PayloadWriter, ascending, count, payloadReader, readDigestWord, readWord, writeDigestWord } from './payload-io.js';
import type { StateHash } from './payload-io.js';

export interface VnodeRoot extends StateHash {
  readonly vnode: number;
}

/** Node (or leaf) indexes of one vnode's tree, strictly ascending. */
export interface Section {
  readonly vnode: number;
  readonly indexes: readonly number[];
}

export function encodeRoots(roots: readonly VnodeRoot[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(roots.length);
  let previous = -1;
  for (const root of roots) {
    writer.varint(previous < 0 ? root.vnode : root.vnode - previous);
    writer.word(root.hi);
    writer.word(root.lo);
    previous = root.vnode;
  }
  return writer.finish();
}

export function decodeRoots(bytes: Uint8Array, vnodeCount: number, countMax: number): VnodeRoot[] {
  const source = payloadReader(bytes, 'roots');
  const length = count(source, 'vnode count', countMax);
  if (length === 0) source.fail('no vnode (a request for nothing)');
  const roots: VnodeRoot[] = [];
  let previous = -1;
  for (let i = 0; i < length; i++) {
    source.locate('root', i);
    previous = ascending(source, previous, vnodeCount, 'vnode');
    roots.push({ vnode: previous, hi: readWord(source, 'hi'), lo: readWord(source, 'lo') });
  }
  source.expectEnd();
  return roots;
}


/** One responder verdict: pending there, and the root's children's digests unless the roots agree. */
export interface Verdict {
  readonly pending: boolean;
  /** undefined: the roots are equal. */
  readonly children: readonly number[] | undefined;
}

const VERDICT_PENDING = 0x01;
const VERDICT_EQUAL = 0x02;

export function encodeVerdicts(verdicts: readonly Verdict[], width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  for (const verdict of verdicts) {
    writer.varint((verdict.pending ? VERDICT_PENDING : 0) | (verdict.children === undefined ? VERDICT_EQUAL : 0));
    for (const word of verdict.children ?? []) writeDigestWord(writer, word, width);
  }
  return writer.finish();
}

/** `wordsPerVerdict` digest words (fanOut x digestWords(width)) for each differing root. */
export function decodeVerdicts(bytes: Uint8Array, vnodes: number, wordsPerVerdict: number, width: DigestWidth): Verdict[] {
  const source = payloadReader(bytes, 'verdicts');
  const verdicts: Verdict[] = [];
  for (let i = 0; i < vnodes; i++) {
    source.locate('verdict', i);
    const flags = source.byte('flags');
    if ((flags & ~(VERDICT_PENDING | VERDICT_EQUAL)) !== 0) source.fail(`unknown verdict flag bits 0x${flags.toString(16)}`);
    let children: number[] | undefined;
    if ((flags & VERDICT_EQUAL) === 0) {
      children = [];
      for (let word = 0; word < wordsPerVerdict; word++) children.push(readDigestWord(source, width));
    }
    verdicts.push({ pending: (flags & VERDICT_PENDING) !== 0, children });
  }
  source.expectEnd();
  return verdicts;
}


export function encodeSections(sections: readonly Section[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(sections.length);
  let previousVnode = -1;
  for (const section of sections) {
    writer.varint(previousVnode < 0 ? section.vnode : section.vnode - previousVnode);
    previousVnode = section.vnode;
    writer.varint(section.indexes.length);
    let previous = -1;
    for (const index of section.indexes) {
      writer.varint(previous < 0 ? index : index - previous);
      previous = index;
    }
  }
  return writer.finish();
}

/** Sections with every index below `end`, at most `indexesMax` indexes in all. */
export function decodeSections(bytes: Uint8Array, vnodeCount: number, end: number, indexesMax: number, subject: string): Section[] {
  const source = payloadReader(bytes, subject);
  const sectionCount = count(source, 'vnode count', Math.min(vnodeCount, indexesMax));
  if (sectionCount === 0) source.fail('no vnode (a request for nothing)');
  const sections: Section[] = [];
  let vnode = -1;
  let total = 0;
  for (let i = 0; i < sectionCount; i++) {
    source.locate('section', i);
    vnode = ascending(source, vnode, vnodeCount, 'vnode');
    const indexCount = count(source, 'index count', indexesMax - total);
    if (indexCount === 0) source.fail(`vnode ${vnode} lists no index`);
    total += indexCount;
    const indexes: number[] = [];
    let previous = -1;
    for (let j = 0; j < indexCount; j++) {
      previous = ascending(source, previous, end, 'index');
      indexes.push(previous);
    }
    sections.push({ vnode, indexes });
  }
  source.expectEnd();
  return sections;
}


/** Digest words (childDigests) at a width, big-endian: 3 bytes each, or 4 (two a full digest, hi first). */
export function encodeDigests(words: readonly number[] | Uint32Array, width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  for (const word of words) writeDigestWord(writer, word, width);
  return writer.finish();
}

export function decodeDigests(bytes: Uint8Array, expected: number, width: DigestWidth): Uint32Array {
  const size = width === 8 ? 4 : 3;
  if (bytes.length !== size * expected) {
    throw new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy digests: ${bytes.length} bytes, expected ${size * expected}`);
  }
  const words = new Uint32Array(expected);
  const source = payloadReader(bytes, 'digests');
  for (let i = 0; i < expected; i++) words[i] = readDigestWord(source, width);
  return words;
}

