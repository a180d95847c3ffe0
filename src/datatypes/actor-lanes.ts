import type { Actor } from '../version/types.js';
import { compareActors } from '../version/vector.js';

/**
 * The merge of two lists of per-actor lanes, each sorted by actor (the counters' lanes and
 * offsets): an actor on one side only is kept, one on both sides gets `joinLane`. Returns `a`
 * itself when `b` adds nothing, so a merge that changes nothing allocates nothing.
 */
export function joinActorLanes<L extends { readonly actor: Actor }>(a: readonly L[], b: readonly L[],
  joinLane: (x: L, y: L) => L): readonly L[] {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  const joined: L[] = [];
  let i = 0;
  let j = 0;
  let sameAsA = true;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareActors(x.actor, y.actor);
    if (order < 0 && x !== undefined) {
      joined.push(x);
      i++;
    } else if (order > 0 && y !== undefined) {
      joined.push(y);
      sameAsA = false;
      j++;
    } else if (x !== undefined && y !== undefined) {
      const lane = joinLane(x, y);
      if (lane !== x) sameAsA = false;
      joined.push(lane);
      i++;
      j++;
    }
  }
  return sameAsA ? a : joined;
}

/**
 * Two lists of lanes hold the same lanes: the same actors at the same dot counters, and
 * `sameSums` for what the lane type adds (the PN-counter's two sums, the float counter's one).
 */
export function actorLanesEqual<L extends { readonly actor: Actor; readonly counter: number }>(a: readonly L[], b: readonly L[],
  sameSums: (x: L, y: L) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as L;
    const y = b[i] as L;
    if (x.actor !== y.actor || x.counter !== y.counter || !sameSums(x, y)) return false;
  }
  return true;
}
