import { covers, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/index.js';

/**
 * What a replica's answer to a read needs, against the merge of all answers (DESIGN.md section 4):
 *
 *   'none'    it holds the merge already
 *   'recent'  it only misses siblings minted within the last `delayMs`: most likely the write's
 *             own MERGE is still on its way (a hot key read right after its write), and a hint or
 *             anti-entropy covers the rest, so a read repair would only duplicate that MERGE
 *   'repair'  it misses something older, or differs in a way no pending write explains
 *
 * "Misses" means its context does not cover the sibling's dot: a superseded sibling it still
 * holds is explained by the newer write it misses, whose MERGE drops it on arrival.
 * Timestamps are the coordinating nodes' clocks against the reader's: skew only moves the window.
 */
export type RepairNeed = 'none' | 'recent' | 'repair';

export function repairNeed(replica: Versioned | null, merged: Versioned, nowMs: number, delayMs: number): RepairNeed {
  if (replica !== null && versionsEqual(replica, merged)) return 'none';
  if (delayMs <= 0) return 'repair';
  const recentFromMs = nowMs - delayMs;
  let missing = 0;
  for (const sibling of merged.siblings) {
    if (replica !== null && covers(replica.context, sibling.dot)) continue;
    if (sibling.timestampMs <= recentFromMs) return 'repair';
    missing++;
  }
  // Unequal with nothing missing (a context that lags without a sibling to show for it): repair.
  return missing === 0 ? 'repair' : 'recent';
}
