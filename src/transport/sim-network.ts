import type { Clock, Timer } from '../runtime/clock.js';
import type { Random } from '../runtime/random.js';
import { RingcacheError, asRingcacheError } from '../runtime/errors.js';
import type { ServerId } from '../ring/table.js';
import type { Envelope } from './messages.js';
import type { PeerReply, PeerRequest } from './peer-message.js';
import type { InternodeHandler, Transport } from './transport.js';

/**
 * The simulator's network: every message is an event on the virtual clock, so delays, drops,
 * duplicates, reordering, partitions and crashes replay exactly from the seed (TigerBeetle's VOPR,
 * FoundationDB's simulation). Endpoints are names: storage nodes listen under their ServerId;
 * coordinators (proxies, clients) send under a name of their own so partitions can cut them off.
 *
 *   sender --latency--> [dropped? partitioned? crashed?] --> handler --latency--> [dropped?] --> sender
 *                                  \-- duplicate? --latency--> handler again (reply ignored)
 */
export interface SimNetworkOptions {
  /** Fastest one-way delivery; a loopback hop. */
  readonly latencyMsMin: number;
  /** Mean of the exponential tail added to the minimum: most messages are quick, a few are slow. */
  readonly latencyMsMean: number;
  /** Cap on one-way latency, so a run's length stays bounded. */
  readonly latencyMsMax: number;
  /** Probability that a message (request or reply) is lost. */
  readonly dropRate: number;
  /** Probability that a request is delivered twice (a client resending after a reconnect). */
  readonly duplicateRate: number;
}

export const SIM_NETWORK_DEFAULTS: SimNetworkOptions = Object.freeze({
  latencyMsMin: 0.2,
  latencyMsMean: 1,
  latencyMsMax: 40,
  dropRate: 0,
  duplicateRate: 0,
});

export interface SimNetworkStats {
  delivered: number;
  dropped: number;
  duplicated: number;
  refused: number;
}

export class SimNetwork {
  private readonly handlers = new Map<string, InternodeHandler>();
  private readonly blocked = new Set<string>();
  /** Latency multipliers of slow endpoints (a node thrashing, a paused process, a bad NIC). */
  private readonly slowness = new Map<string, number>();
  private options: SimNetworkOptions;
  readonly stats: SimNetworkStats = { delivered: 0, dropped: 0, duplicated: 0, refused: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    options: Partial<SimNetworkOptions> = {},
  ) {
    this.options = { ...SIM_NETWORK_DEFAULTS, ...options };
  }

  /** Changes fault rates mid-run (a storm, then calm). */
  configure(options: Partial<SimNetworkOptions>): void {
    this.options = { ...this.options, ...options };
  }

  listen(server: ServerId, handler: InternodeHandler): void {
    this.handlers.set(server, handler);
  }

  /** A crash: the endpoint refuses connections until it listens again. */
  unlisten(server: ServerId): void {
    this.handlers.delete(server);
  }

  /** Cuts every link between the two groups, both ways. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.blocked.add(linkName(a, b));
        this.blocked.add(linkName(b, a));
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /**
   * Makes an endpoint slow: every message to or from it takes `factor` times as long (1 restores
   * it). A factor near requestTimeoutMs / latency models a process paused by SIGSTOP: requests
   * time out, then it answers them all late.
   */
  slow(endpoint: string, factor: number): void {
    if (factor <= 1) this.slowness.delete(endpoint);
    else this.slowness.set(endpoint, factor);
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(linkName(from, to));
  }

  /** The transport a coordinator named `from` sends with. */
  transport(from: string): Transport {
    return {
      send: (to, request, timeoutMs) => this.send(from, to, request, timeoutMs),
      close: () => Promise.resolve(),
    };
  }

  private send(
    from: string,
    to: ServerId,
    request: Envelope<PeerRequest>,
    timeoutMs: number,
  ): Promise<Envelope<PeerReply>> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer: Timer = this.clock.schedule(timeoutMs, () => {
        settle(() => { reject(new RingcacheError('RC_ERR_TIMEOUT', `no reply from ${to} within ${String(timeoutMs)} ms; see replication.requestTimeoutMs`, { server: to })); });
      });
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        action();
      };
      const factor = this.factorOf(from, to);
      const deliver = (answer: boolean): void => {
        if (this.isBlocked(from, to) || this.lost()) return;
        const handler = this.handlers.get(to);
        if (handler === undefined) {
          this.stats.refused++;
          if (answer) this.after(factor, () => { settle(() => { reject(new RingcacheError('RC_ERR_UNREACHABLE', `connection to ${to} refused`, { server: to })); }); });
          return;
        }
        this.stats.delivered++;
        void this.invoke(handler, request).then((outcome) => {
          if (!answer || this.isBlocked(to, from) || this.lost()) return;
          this.after(factor, () => { settle(() => { if (outcome.ok) resolve(outcome.reply); else reject(outcome.error); }); });
        });
      };
      this.after(factor, () => { deliver(true); });
      if (this.options.duplicateRate > 0 && this.random.next() < this.options.duplicateRate) {
        this.stats.duplicated++;
        this.after(factor, () => { deliver(false); });
      }
    });
  }

  private async invoke(
    handler: InternodeHandler,
    request: Envelope<PeerRequest>,
  ): Promise<{ ok: true; reply: Envelope<PeerReply> } | { ok: false; error: RingcacheError }> {
    try {
      return { ok: true, reply: await handler.handle(request) };
    } catch (error) {
      return { ok: false, error: asRingcacheError(error, 'simulated node handler') };
    }
  }

  private lost(): boolean {
    if (this.options.dropRate > 0 && this.random.next() < this.options.dropRate) {
      this.stats.dropped++;
      return true;
    }
    return false;
  }

  private factorOf(from: string, to: string): number {
    if (this.slowness.size === 0) return 1;
    return Math.max(this.slowness.get(from) ?? 1, this.slowness.get(to) ?? 1);
  }

  /** Schedules `callback` after one sampled one-way latency, times a slow endpoint's factor. */
  private after(factor: number, callback: () => void): void {
    const { latencyMsMin, latencyMsMean, latencyMsMax } = this.options;
    const tail = -Math.log(1 - this.random.next()) * latencyMsMean;
    this.clock.schedule(Math.min(latencyMsMax, latencyMsMin + tail) * factor, callback);
  }
}

function linkName(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
