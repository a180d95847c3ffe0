/**
 * What the master makes of its /health probes of one process: up while they answer 200, suspect
 * from the first that does not, down once they have kept failing for `downAfterMs` (options.ts
 * gives the detection bound this makes). Pure: the prober feeds it outcomes, tests feed it times.
 *
 *   unknown --ok--> up --fail--> suspect --fail, started >= failingSince + downAfterMs--> down
 *                    ^             |                                                      |
 *                    +-----ok------+------------------------ok----------------------------+
 */
import type { ProbeStatus } from '../../src/client/dashboard-api.js';

export type { ProbeStatus };

export interface ProbeState {
  readonly status: ProbeStatus;
  /** When the last completed probe started. */
  readonly checkedAtMs: number | null;
  /** When the first probe of the current failing streak started; null while up. */
  readonly failingSinceMs: number | null;
  /** Why the last probe failed; null when it answered. */
  readonly error: string | null;
  /** Round trip of the last answered probe. */
  readonly roundTripMs: number | null;
  /** The last 200 answer's body (a proxy's view: epoch, servers down). */
  readonly body: unknown;
}

export type ProbeOutcome =
  | { readonly ok: true; readonly startedAtMs: number; readonly roundTripMs: number; readonly body: unknown }
  | { readonly ok: false; readonly startedAtMs: number; readonly error: string };

export const UNPROBED: ProbeState = Object.freeze({
  status: 'unknown', checkedAtMs: null, failingSinceMs: null, error: null, roundTripMs: null, body: undefined,
});

export function nextProbeState(previous: ProbeState, outcome: ProbeOutcome, downAfterMs: number): ProbeState {
  if (outcome.ok) {
    return { status: 'up', checkedAtMs: outcome.startedAtMs, failingSinceMs: null, error: null, roundTripMs: outcome.roundTripMs, body: outcome.body };
  }
  const failingSinceMs = previous.failingSinceMs ?? outcome.startedAtMs;
  const status = outcome.startedAtMs - failingSinceMs >= downAfterMs ? 'down' : 'suspect';
  return { ...previous, status, checkedAtMs: outcome.startedAtMs, failingSinceMs, error: outcome.error };
}
