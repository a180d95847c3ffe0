/**
 * A focused deterministic run of hinted handoff, replayable from its seed: a replica crashes and
 * gossip marks it down; clients write with W = N over a lossy network, so every write that names
 * it is acknowledged through a fallback's hint; the replica restarts empty (recovering) and gossip
 * marks it up. Then, with no client read at all, the check:
 *
 *   1. hints drain: no node holds a hint within `drainMsMax` of the restart
 *   2. the restarted replica holds (its context covers) every acknowledged write of its rows
 *
 * Messages stay lossy during the replay, so lost MERGEs and lost acks are part of every run.
 */
import type { HintedHandoffOptions } from '../../src/hinted-handoff/index.js';
import { HintReplayer } from '../../src/hinted-handoff/index.js';
import type { Hint } from '../../src/hinted-handoff/index.js';
import type { ServerId } from '../../src/ring/index.js';
import { covers } from '../../src/version/index.js';
import type { Dot } from '../../src/version/index.js';
import { runClockUntil } from './drive.js';
import { HintsCluster } from './hints-cluster.js';

export interface HandoffOptions {
  readonly seed: number;
  readonly keys: number;
  readonly writesPerClient: number;
  readonly clients: number;
  readonly dropRate: number;
  /** Virtual time after the restart by which hints must have drained. */
  readonly drainMsMax: number;
  /** The replayer every node runs: the real one (undefined), a planted bug, or none. */
  readonly replayer?: HintedHandoffOptions['replayer'];
}

export const HANDOFF_DEFAULTS: HandoffOptions = Object.freeze({
  seed: 1, keys: 40, writesPerClient: 50, clients: 3, dropRate: 0.03, drainMsMax: 30_000,
});

export interface HandoffReport {
  readonly seed: number;
  /** Acknowledged writes of keys whose row holds the crashed replica. */
  readonly ackedWrites: number;
  /** Of those, acknowledged with a fallback's hint among the W acks. */
  readonly hintedWrites: number;
  /** Virtual ms from the restart until no node held a hint (Infinity: never within the bound). */
  readonly drainMs: number;
  readonly hintsLeft: number;
  readonly hintsReplayed: number;
  readonly clientReads: number;
  readonly violations: readonly string[];
}

const encoder = new TextEncoder();
const VICTIM: ServerId = 'n3';

/** Runs one seed of the scenario and checks it. */
export async function runHandoff(overrides: Partial<HandoffOptions> = {}): Promise<HandoffReport> {
  const options = { ...HANDOFF_DEFAULTS, ...overrides };
  const c = await HintsCluster.started({
    seed: options.seed, servers: 6, config: ['hints.replayIntervalMs=500', 'hints.replayBytesPerSec=200000'],
    ...(options.replayer === undefined ? {} : { replayer: options.replayer }),
  });
  c.crash(VICTIM);
  c.markDown(VICTIM);
  c.network.configure({ dropRate: options.dropRate });
  const keys = Array.from({ length: options.keys }, (_, i) => encoder.encode(`k${String(i)}`)).filter((key) => c.rowOf(key).includes(VICTIM));
  const acked: { key: Uint8Array; dot: Dot; hinted: boolean }[] = [];
  const coordinators = Array.from({ length: options.clients }, (_, i) => c.coordinator(`c${String(i + 1)}`, { w: 3 }));
  let running = coordinators.length;
  for (const coordinator of coordinators) {
    void (async () => {
      for (let i = 0; i < options.writesPerClient; i++) {
        await c.clock.sleep(1 + c.random.int(20));
        const key = keys[c.random.int(keys.length)] as Uint8Array;
        try {
          const result = await coordinator.put(key, encoder.encode(String(i)));
          acked.push({ key, dot: result.dot, hinted: result.hinted > 0 });
        } catch {
          // Not acknowledged (a lost reply or too few acks): nothing to check.
        }
      }
    })().finally(() => { running--; });
  }
  await runClockUntil(c.clock, Number.POSITIVE_INFINITY, () => running === 0);

  c.restart(VICTIM);
  c.markUp(VICTIM, true);
  const restartedMs = c.clock.nowMs();
  await runClockUntil(c.clock, restartedMs + options.drainMsMax, () => c.hintsHeld() === 0);
  const drainMs = c.hintsHeld() === 0 ? c.clock.nowMs() - restartedMs : Number.POSITIVE_INFINITY;

  const violations: string[] = [];
  for (const { key, dot } of acked) {
    const state = c.stateAt(VICTIM, key);
    if (state === undefined || !covers(state.context, dot)) {
      violations.push(`${VICTIM} lacks acknowledged write ${dot.actor}:${String(dot.counter)} of ${new TextDecoder().decode(key)}`);
    }
  }
  if (drainMs === Number.POSITIVE_INFINITY) violations.push(`${String(c.hintsHeld())} hints left ${String(options.drainMsMax)} ms after the restart`);
  let replayed = 0;
  for (const server of c.serverIds) replayed += c.hints(server).replayer?.stats.replayed ?? 0;
  return {
    seed: options.seed,
    ackedWrites: acked.length,
    hintedWrites: acked.filter((write) => write.hinted).length,
    drainMs,
    hintsLeft: c.hintsHeld(),
    hintsReplayed: replayed,
    clientReads: coordinators.reduce((sum, coordinator) => sum + coordinator.stats.reads, 0),
    violations,
  };
}

/** A planted bug: the hint is deleted as soon as its MERGE is sent, not when the owner acknowledges. */
export class DeleteBeforeAckReplayer extends HintReplayer {
  protected override onSent(hint: Hint): void {
    this.deps.store.acknowledge(hint);
  }

  protected override onAcknowledged(): void {
    // Already deleted when sent.
  }
}
