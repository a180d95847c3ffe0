/**
 * When `ringcache start` restarts a child that died, and when it gives up: pure, so the schedule
 * is unit-tested without processes or time.
 *
 * A run is *stable* when the child came up (answered /health) and stayed up `stableMs`. Each
 * death starts or continues a streak of restarts:
 *
 *   death after a stable run      -> restart 1 of a new streak, after delayMs
 *   death of an unstable run      -> restart k+1, after min(delayMsMax, delayMs * 2^k)
 *   restart restartsMax+1 due     -> give up: restartsMax restarts in a row did not stay up
 *
 * With the defaults a child that keeps dying is restarted after 1, 2, 4, 8 and 16 s, and the
 * sixth death in a row (about 31 s plus its start-up times) stops the cluster. restartsMax 0
 * means the first death stops the cluster.
 */
export interface RestartPolicy {
  /** Wait before the first restart of a streak. */
  readonly delayMs: number;
  /** The doubling wait is capped here. */
  readonly delayMsMax: number;
  /** Up this long after coming up: the child is healthy again, its next death starts a new streak. */
  readonly stableMs: number;
  /** Restarts in a row that did not stay up before giving up. */
  readonly restartsMax: number;
}

export const RESTART_DEFAULTS: RestartPolicy = Object.freeze({
  delayMs: 1000,
  delayMsMax: 30_000,
  stableMs: 10_000,
  restartsMax: 5,
});

export type RestartDecision =
  | { readonly kind: 'restart'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'give-up'; readonly failedRestarts: number };

/**
 * What to do after a death. `attempt` is the restart number of the run that ended (0 for the
 * run the cluster started with); `upForMs` how long it had been up, undefined if it never came up.
 */
export function nextRestart(policy: RestartPolicy, attempt: number, upForMs: number | undefined): RestartDecision {
  const stable = upForMs !== undefined && upForMs >= policy.stableMs;
  const next = stable ? 1 : attempt + 1;
  if (next > policy.restartsMax) return { kind: 'give-up', failedRestarts: next - 1 };
  return { kind: 'restart', attempt: next, delayMs: backoffMs(policy, next) };
}

/** delayMs * 2^(attempt-1), capped; exponent bounded so the product stays a safe integer. */
export function backoffMs(policy: RestartPolicy, attempt: number): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 40);
  return Math.min(policy.delayMsMax, policy.delayMs * 2 ** doublings);
}
