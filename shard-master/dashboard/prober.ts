/**
 * The master's own view of which processes are up: every `probeIntervalMs` it GETs each node's and
 * the configured proxy's /health (open, no token) and folds the outcome into a ProbeState
 * (probe-state.ts). It runs in the background from the moment the master serves, so the first
 * page load or `ringcache status` already sees a node that died an hour ago as down, not as a
 * fresh suspect. Gossip liveness, where /v1/cluster carries it, takes precedence (overview.ts).
 *
 * Bounded: one round at a time (a round still running when the next is due skips it), at most
 * `fetchParallelMax` probes in flight, each capped in time and bytes.
 */
import { every } from '../../src/runtime/index.js';
import type { Clock, Startable, Timer } from '../../src/runtime/index.js';
import { mapBounded } from './bounded.js';
import type { JsonFetcher } from './json-fetch.js';
import type { DashboardOptions } from './options.js';
import { UNPROBED, nextProbeState } from './probe-state.js';
import type { ProbeOutcome, ProbeState } from './probe-state.js';

export interface ProbeTarget {
  /** 'server:n1', 'proxy:127.0.0.1:8080': one state per key. */
  readonly key: string;
  readonly url: string;
}

export interface ProberDeps {
  readonly clock: Clock;
  readonly fetch: JsonFetcher;
  readonly options: DashboardOptions;
  /** Read at every round: servers join and leave with the table. */
  readonly targets: () => readonly ProbeTarget[];
}

export class HealthProber implements Startable {
  private readonly states = new Map<string, ProbeState>();
  private timer: Timer | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly deps: ProberDeps) {}

  start(): void {
    if (this.timer !== undefined) return;
    void this.probeAll();
    this.timer = every(this.deps.clock, this.deps.options.probeIntervalMs, () => { void this.probeAll(); });
  }

  /** Idempotent. A round in flight finishes on its own (each probe has its deadline). */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  state(key: string): ProbeState {
    return this.states.get(key) ?? UNPROBED;
  }

  /** One round now (unless one is running): start() uses it, and tests drive it directly. */
  probeAll(): Promise<void> {
    this.round ??= this.runRound().finally(() => { this.round = undefined; });
    return this.round;
  }

  private async runRound(): Promise<void> {
    const targets = this.deps.targets();
    const { options, fetch, clock } = this.deps;
    const outcomes = await mapBounded(targets, options.fetchParallelMax, async (target): Promise<ProbeOutcome> => {
      const startedAtMs = clock.nowMs();
      const answer = await fetch({ url: target.url, headers: {}, timeoutMs: options.probeTimeoutMs, bytesMax: options.healthBytesMax });
      if (answer.kind === 'failed') return { ok: false, startedAtMs, error: answer.reason };
      if (answer.status !== 200) return { ok: false, startedAtMs, error: `/health answered HTTP ${answer.status}` };
      return { ok: true, startedAtMs, roundTripMs: answer.elapsedMs, body: answer.body };
    });
    const listed = new Set<string>();
    targets.forEach((target, index) => {
      const outcome = outcomes[index];
      listed.add(target.key);
      if (outcome !== undefined) this.states.set(target.key, nextProbeState(this.state(target.key), outcome, options.downAfterMs));
    });
    for (const key of this.states.keys()) if (!listed.has(key)) this.states.delete(key);
  }
}
