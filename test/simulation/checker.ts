import { covers, versionsEqual } from '../../src/version/index.js';
import type { Dot, Versioned } from '../../src/version/types.js';
import type { ServerId } from '../../src/ring/index.js';
import { dotName, type History, type ReadOperation, type WriteOperation } from './history.js';

export interface FinalKey {
  readonly key: string;
  readonly row: readonly ServerId[];
  /** The merged state after the final full read with read repair. */
  readonly merged: Versioned | null;
  /** What each replica of the row stores after repair settled. */
  readonly replicas: ReadonlyMap<ServerId, Versioned | undefined>;
}

export interface CheckReport {
  readonly ackedWrites: number;
  readonly lostAckedWrites: number;
  /** Final live siblings that an acknowledged write had superseded (a delete or overwrite undone). */
  readonly resurrections: number;
  readonly maxSiblings: number;
  readonly violations: string[];
}

const decoder = new TextDecoder();

function holds(state: Versioned | null | undefined, dot: Dot): boolean {
  if (state === null || state === undefined) return false;
  return covers(state.context, dot) || state.siblings.some((s) => s.dot.actor === dot.actor && s.dot.counter === dot.counter);
}

const encoder = new TextEncoder();

/**
 * Every server that held `key`'s vnode at some time in [fromMs, toMs] (replicas and pending
 * targets of each table in force then), or `row` when the table never changed. With moves, the
 * copies of a write live on whichever servers held the vnode since: its loss is excused only when
 * W of all of them lost their memory, as with a fixed row.
 */
function holdersBetween(history: History, key: string, row: readonly ServerId[], fromMs: number, toMs: number): readonly ServerId[] {
  const tables = history.tables;
  if (tables.length <= 1) return row;
  const holders = new Set<ServerId>(row);
  const bytes = encoder.encode(key);
  tables.forEach(({ atMs, table }, index) => {
    const endMs = tables[index + 1]?.atMs ?? Number.POSITIVE_INFINITY;
    if (endMs < fromMs || atMs > toMs) return;
    const entry = table.row(table.vnodeOf(bytes));
    for (const server of entry.replicas) holders.add(server);
    if (entry.pending !== undefined) holders.add(entry.pending.to);
  });
  return [...holders];
}

/** Distinct replicas of `row` that crashed (losing memory) in [fromMs, toMs]. */
function crashedBetween(history: History, row: readonly ServerId[], fromMs: number, toMs: number): number {
  const crashed = new Set<ServerId>();
  for (const crash of history.crashes) {
    if (crash.atMs >= fromMs && crash.atMs <= toMs && row.includes(crash.server)) crashed.add(crash.server);
  }
  return crashed.size;
}

/**
 * The history checker:
 *  1. no acknowledged write is lost while one of its W acknowledging replicas kept its memory:
 *     it is a sibling of the final state or in its causal past (its context covers the dot);
 *  2. a read that starts after a write was acknowledged sees it, when no replica of the row
 *     crashed in between (R + W > N makes the quorums intersect);
 *  3. siblings only for truly concurrent writes: no final sibling was superseded by the context
 *     of another final sibling, and a blind write at an actor supersedes that actor's older dots;
 *  4. every final sibling carries the value its dot was minted with (no dot reused);
 *  5. after heal and a full read with read repair, every replica of every key is equal;
 *  6. no resurrection: no final live sibling was superseded by an acknowledged write (covered by
 *     the context its coordinator stored, and not one of the siblings it kept), while fewer than
 *     W of the row lost their memory since. Collecting tombstones before every replica has them
 *     breaks this: the value a tombstone superseded comes back from a replica that missed it.
 */
export function check(history: History, finals: readonly FinalKey[], r: number, w: number, n: number): CheckReport {
  const violations = [...history.violations];
  const finalByKey = new Map(finals.map((f) => [f.key, f]));
  const writes = history.operations.filter((o): o is WriteOperation => o.type === 'write' && o.outcome === 'ok');
  let lost = 0;
  for (const write of writes) {
    const final = finalByKey.get(write.key);
    if (final === undefined || write.dot === undefined) continue;
    // A hint that counted toward W dies with its fallback: the write's holders are the row and those fallbacks.
    const holders = holdersBetween(history, write.key, final.row, write.invokedMs, Number.POSITIVE_INFINITY);
    if (crashedBetween(history, [...holders, ...(write.hintedBy ?? [])], write.invokedMs, Number.POSITIVE_INFINITY) >= w) continue;
    if (!holds(final.merged, write.dot)) {
      lost++;
      violations.push(`lost acknowledged write ${dotName(write.dot)} (${write.value ?? 'delete'}) of ${write.key}`);
    }
  }
  const resurrections = checkResurrections(history, finals, writes, w, violations);
  let maxSiblings = 0;
  const reads = history.operations.filter((o): o is ReadOperation => o.type === 'read' && o.outcome === 'ok');
  for (const read of reads) {
    maxSiblings = Math.max(maxSiblings, read.result?.siblings.length ?? 0);
    if (r + w <= n) continue;
    // A read that counted a fallback's answer, or had fewer than R answers, is outside R + W > N.
    if (read.sloppy === true) continue;
    const final = finalByKey.get(read.key);
    if (final === undefined) continue;
    for (const write of writes) {
      if (write.key !== read.key || write.dot === undefined || write.completedMs >= read.invokedMs) continue;
      // A sloppy write (a fallback's hint counted toward W) is outside R + W > N until its hint is
      // replayed (Dynamo 4.6): reads of the row may miss it meanwhile; it is still never lost.
      if (write.hintedBy !== undefined && write.hintedBy.length > 0) continue;
      if (crashedBetween(history, holdersBetween(history, read.key, final.row, write.invokedMs, read.completedMs), write.invokedMs, read.completedMs) > 0) continue;
      if (!holds(read.result, write.dot)) {
        violations.push(`stale read of ${read.key} by ${read.client} at ${String(read.invokedMs)}: misses ${dotName(write.dot)} acknowledged at ${String(write.completedMs)}`);
      }
    }
  }
  for (const final of finals) {
    maxSiblings = Math.max(maxSiblings, final.merged?.siblings.length ?? 0);
    checkSiblings(history, final, violations);
    checkConverged(final, violations);
  }
  return { ackedWrites: writes.length, lostAckedWrites: lost, resurrections, maxSiblings, violations };
}

/** Whether an acknowledged write's coordinator discarded `dot` (its stored context covers it, its siblings do not hold it). */
function superseded(write: WriteOperation, dot: Dot): boolean {
  const stored = write.stored;
  if (stored === undefined || !covers(stored.context, dot)) return false;
  return !stored.siblings.some((s) => s.dot.actor === dot.actor && s.dot.counter === dot.counter);
}

function checkResurrections(
  history: History, finals: readonly FinalKey[], writes: readonly WriteOperation[], w: number, violations: string[],
): number {
  let resurrections = 0;
  const rowOf = new Map(finals.map((final) => [final.key, final.row]));
  // A read is held to it only while no replica of the row lost its memory since the write (as
  // for stale reads: with one copy gone, R replicas may all be behind); the final state while
  // fewer than W did (one that kept the write's context is merged into it).
  const seen = (key: string, state: Versioned | null | undefined, atMs: number, where: string): void => {
    const finalRow = rowOf.get(key);
    if (finalRow === undefined) return;
    const final = atMs === Number.POSITIVE_INFINITY;
    for (const sibling of state?.siblings ?? []) {
      if (sibling.value === null) continue;
      const successor = writes.find((write) => write.key === key && write.completedMs < atMs && superseded(write, sibling.dot)
        && (final || write.hintedBy === undefined || write.hintedBy.length === 0)
        && crashedBetween(history, withHints(holdersBetween(history, key, finalRow, write.invokedMs, atMs), final ? write.hintedBy : undefined), write.invokedMs, atMs) < (final ? w : 1));
      if (successor === undefined) continue;
      resurrections++;
      violations.push(`resurrected ${dotName(sibling.dot)} of ${key} in ${where}: acknowledged ${successor.value === null ? 'delete' : 'write'} ${successor.dot === undefined ? '' : dotName(successor.dot)} had superseded it`);
    }
  };
  for (const operation of history.operations) {
    if (operation.type === 'read' && operation.outcome === 'ok' && operation.sloppy !== true) seen(operation.key, operation.result, operation.invokedMs, `a read at ${String(Math.round(operation.invokedMs))}`);
  }
  for (const final of finals) seen(final.key, final.merged, Number.POSITIVE_INFINITY, 'the final state');
  return resurrections;
}

function checkSiblings(history: History, final: FinalKey, violations: string[]): void {
  const siblings = final.merged?.siblings ?? [];
  for (const sibling of siblings) {
    const minted = history.minted.get(dotName(sibling.dot));
    const value = sibling.value === null ? null : decoder.decode(sibling.value);
    if (minted === undefined) {
      violations.push(`${final.key}: sibling ${dotName(sibling.dot)} was never minted`);
    } else if (minted.value !== value || minted.key !== final.key) {
      violations.push(`${final.key}: sibling ${dotName(sibling.dot)} holds ${String(value)}, minted as ${String(minted.value)} of ${minted.key}`);
    }
  }
  for (const a of siblings) {
    for (const b of siblings) {
      if (a === b) continue;
      const writeB = history.minted.get(dotName(b.dot));
      if (writeB === undefined) continue;
      if (writeB.context !== null && covers(writeB.context, a.dot)) {
        violations.push(`${final.key}: ${dotName(a.dot)} survives beside ${dotName(b.dot)}, whose context superseded it`);
      }
      if (writeB.context === null && a.dot.actor === b.dot.actor && a.dot.counter < b.dot.counter) {
        violations.push(`${final.key}: blind write ${dotName(b.dot)} did not supersede ${dotName(a.dot)} of its own actor`);
      }
    }
  }
}

function checkConverged(final: FinalKey, violations: string[]): void {
  for (const [server, state] of final.replicas) {
    const equal = state === undefined || final.merged === null
      ? state === undefined && final.merged === null
      : versionsEqual(state, final.merged);
    if (!equal) violations.push(`${final.key}: replica ${server} did not converge after heal`);
  }
}

function withHints(holders: readonly ServerId[], hintedBy: readonly ServerId[] | undefined): readonly ServerId[] {
  return hintedBy === undefined || hintedBy.length === 0 ? holders : [...holders, ...hintedBy];
}
