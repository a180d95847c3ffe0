import type { Clock } from '../runtime/clock.js';
import type { Random } from '../runtime/random.js';
import type { ServerId } from '../ring/table.js';
import type { Actor } from '../version/types.js';

/**
 * A fresh actor for a server incarnation: `${serverId}.${incarnation}`. A node that restarts
 * without its data (the memory engine) must not reuse its old dots, or two different writes would
 * share a dot and `merge` would silently keep one of them (Riak's vnode ids change for the same
 * reason). Start time in base36 plus 20 random bits keeps it short (~13 bytes) and unique.
 */
export function newActor(serverId: ServerId, clock: Clock, random: Random): Actor {
  const started = Math.floor(clock.nowMs()).toString(36);
  const salt = random.int(0x100000).toString(36).padStart(4, '0');
  return `${serverId}.${started}${salt}`;
}
