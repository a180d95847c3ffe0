import type { Liveness, ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { Clock, Logger, Startable, Timer } from '../runtime/index.js';
import type { Transport } from '../transport/index.js';
import { livenessOf } from './member-state.js';
import type { MemberLiveness, MemberUpdate } from './member-state.js';
import { MEMBERSHIP_DEFAULTS } from './options.js';
import { decodeUpdates } from './update-codec.js';

export interface ViewPullerOptions {
  /** membership.viewPullIntervalMs. */
  readonly viewPullIntervalMs: number;
  /** membership.viewStaleMs. */
  readonly viewStaleMs: number;
}

export interface ViewPullerDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  /** The servers to pull from: the table's. */
  readonly servers: () => readonly ServerId[];
  /** The table epoch this process knows, sent with each pull. */
  readonly epoch: () => number;
  /** A node answered with a newer epoch. */
  readonly observeEpoch?: (epoch: number) => void;
  readonly logger: Logger;
  readonly options?: Partial<ViewPullerOptions>;
}

/** A gossip view as one node answered it. */
export interface PulledView {
  readonly from: ServerId;
  readonly receivedAtMs: number;
  readonly members: ReadonlyMap<ServerId, MemberUpdate>;
}

export interface ViewPullerStats {
  pulls: number;
  failures: number;
  /** Views that decoded to garbage: not applied. */
  malformed: number;
}

/** Members in one view a puller accepts; far above any cluster this design is for. */
export const VIEW_MEMBERS_MAX = 4096;
/** Nodes tried per interval before waiting for the next one. */
const ATTEMPTS_PER_PULL_MAX = 2;
/** Fastest follow-up pull while a member is suspect. */
const FOLLOW_UP_MS_MIN = 50;

/**
 * The gossip view outside the nodes (DESIGN.md section 4): proxies, client libraries and the
 * shard-master pull one node's whole view (RC.VIEW) every viewPullIntervalMs, rotating over the
 * table's servers (skipping those the last view holds down) and moving on at once when one does
 * not answer, and pulling again soon while the view holds a member suspect. The latest view is
 * believed until viewStaleMs; the coordinator layers its own
 * recent failures on top (FailureTracker), which is also all that is left once the view is stale.
 *
 * As a Liveness: down is not up; suspect is up (SWIM: suspicion is not failure). Recovering
 * servers are up, and `isRecovering` says so: their "not found" must not count toward R.
 */
export class ViewPuller implements Liveness, Startable {
  readonly options: ViewPullerOptions;
  readonly stats: ViewPullerStats = { pulls: 0, failures: 0, malformed: 0 };
  private view: PulledView | undefined;
  private readonly down = new Set<ServerId>();
  private readonly recovering = new Set<ServerId>();
  private cursor = 0;
  /** Members the latest view holds suspect. */
  private suspects = 0;
  private timer: Timer | undefined;
  private staleTimer: Timer | undefined;
  private stopped = false;

  constructor(private readonly deps: ViewPullerDeps) {
    this.options = {
      viewPullIntervalMs: deps.options?.viewPullIntervalMs ?? MEMBERSHIP_DEFAULTS.viewPullIntervalMs,
      viewStaleMs: deps.options?.viewStaleMs ?? MEMBERSHIP_DEFAULTS.viewStaleMs,
    };
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.staleTimer?.cancel();
  }

  isUp(server: ServerId): boolean {
    return this.down.size === 0 || !this.down.has(server);
  }

  isRecovering(server: ServerId): boolean {
    return this.recovering.size !== 0 && this.recovering.has(server);
  }

  /** How the latest fresh view sees a server; undefined without one, or for a server it does not list. */
  liveness(server: ServerId): MemberLiveness | undefined {
    const claim = this.view?.members.get(server);
    return claim === undefined ? undefined : livenessOf(claim);
  }

  /** The latest view while it is fresh. */
  current(): PulledView | undefined {
    return this.view;
  }

  /** One pull now: tries up to two nodes; true when one answered a well-formed view. */
  async pull(): Promise<boolean> {
    const servers = [...this.deps.servers()].sort();
    if (servers.length === 0) return false;
    const believedUp = servers.filter((server) => this.isUp(server));
    const candidates = believedUp.length > 0 ? believedUp : servers;
    for (let attempt = 0; attempt < Math.min(ATTEMPTS_PER_PULL_MAX, candidates.length); attempt++) {
      const server = candidates[this.cursor++ % candidates.length] as ServerId;
      if (await this.pullFrom(server)) return true;
      if (this.stopped) return false;
    }
    return false;
  }

  /** The next pull is timed from the end of this one, so it knows whether the view holds a suspect. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.schedule(delayMs, () => {
      const started = this.deps.clock.nowMs();
      void this.pull().finally(() => {
        const intervalMs = this.suspects > 0 ? this.followUpMs() : this.options.viewPullIntervalMs;
        this.schedule(Math.max(0, started + intervalMs - this.deps.clock.nowMs()));
      });
    });
  }

  /**
   * While the last view held a member suspect, pull again this soon: the suspicion is decided
   * within a suspicion timeout (600 ms on a few nodes), so a proxy learns "down" about when the
   * nodes do instead of up to a whole pull interval later.
   */
  private followUpMs(): number {
    return Math.max(FOLLOW_UP_MS_MIN, Math.floor(this.options.viewPullIntervalMs / 5));
  }

  private async pullFrom(server: ServerId): Promise<boolean> {
    const { transport, clock, epoch, observeEpoch, logger } = this.deps;
    this.stats.pulls++;
    const timeoutMs = Math.max(1, Math.floor(this.options.viewPullIntervalMs / ATTEMPTS_PER_PULL_MAX));
    try {
      const reply = await transport.send(server, { epoch: epoch(), body: { kind: 'member-view' } }, timeoutMs);
      if (reply.body.kind !== 'member-view-reply') throw new RingcacheError('RC_ERR_PROTOCOL', `RC.VIEW answered '${reply.body.kind}'`);
      const members = decodeUpdates(reply.body.members, VIEW_MEMBERS_MAX);
      const epochMax = Math.max(reply.epoch, ...members.map((member) => member.epoch));
      if (epochMax > epoch()) observeEpoch?.(epochMax);
      this.adopt({ from: reply.body.from, receivedAtMs: clock.nowMs(), members: new Map(members.map((member) => [member.member, member])) });
      return true;
    } catch (error) {
      if (error instanceof RingcacheError && error.code === 'RC_ERR_PROTOCOL') this.stats.malformed++;
      else this.stats.failures++;
      logger.debug({ server, err: (error as Error).message }, 'gossip view pull failed');
      return false;
    }
  }

  private adopt(view: PulledView): void {
    const wasDown = new Set(this.down);
    this.view = view;
    this.down.clear();
    this.recovering.clear();
    this.suspects = 0;
    for (const claim of view.members.values()) {
      if (claim.status === 'suspect') this.suspects++;
      if (claim.status === 'down') this.down.add(claim.member);
      else if (claim.recovering) this.recovering.add(claim.member);
    }
    this.staleTimer?.cancel();
    this.staleTimer = this.deps.clock.schedule(this.options.viewStaleMs, () => { this.forget(); });
    // Rare and worth a line: which server this process now routes around, and on whose word.
    for (const server of this.down) if (!wasDown.has(server)) this.deps.logger.info({ server, from: view.from }, 'gossip view: server down');
    for (const server of wasDown) if (!this.down.has(server)) this.deps.logger.info({ server, from: view.from }, 'gossip view: server up again');
  }

  private forget(): void {
    this.view = undefined;
    this.suspects = 0;
    this.down.clear();
    this.recovering.clear();
  }
}
