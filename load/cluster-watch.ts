import { VIEW_MESSAGES, decodeUpdates, livenessOf } from '../src/membership/index.js';
import type { MemberLiveness } from '../src/membership/index.js';
import type { ServerId } from '../src/ring/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { MessageCatalogue, TcpTransport } from '../src/transport/index.js';

/**
 * Reads how each part of a running cluster sees each server, from the outside: a node's gossip
 * view (RC.VIEW on its internode port), the proxy's (GET /v1/route/:key lists the replicas it
 * holds down), the master's (GET /v1/cluster), and a node's membership counters (/metrics).
 * Used by the real-process membership test and `ringcache bench detection`.
 */
export interface WatchedNode {
  readonly id: ServerId;
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
}

export interface WatchEndpoints {
  readonly nodes: readonly WatchedNode[];
  readonly proxyHttpUrl: string;
  readonly masterUrl: string;
  /** cluster.token: internode AUTH and the master's bearer token; empty: none. */
  readonly token: string;
  /** proxy.password: the proxy's bearer token; empty: none. */
  readonly proxyPassword: string;
}

/** The membership counters of one node, from its /metrics. */
export interface MembershipCounters {
  readonly downs: number;
  readonly suspicions: number;
  readonly refutations: number;
  readonly probes: number;
  /** Lifeguard's local health score now (0: healthy). */
  readonly healthScore: number;
}

const REQUEST_TIMEOUT_MS = 500;
/** /metrics and the JSON endpoints may take longer than a view on a busy machine. */
const HTTP_TIMEOUT_MS = 3000;
/** Keys tried to find one whose row holds a given server. */
const ROUTE_KEYS_MAX = 2000;

export class ClusterWatch {
  private readonly transport: TcpTransport;
  private readonly keys = new Map<ServerId, string>();

  constructor(readonly endpoints: WatchEndpoints) {
    this.transport = new TcpTransport({
      resolve: (server) => {
        const node = endpoints.nodes.find((candidate) => candidate.id === server);
        return node === undefined ? undefined : { host: node.host, port: node.port };
      },
      clock: new SystemClock(),
      token: endpoints.token,
      catalogue: new MessageCatalogue(VIEW_MESSAGES),
      // A killed node's port refuses: try again soon, the watch polls every few ms.
      options: { reconnectDelayMsMin: 10, reconnectDelayMsMax: 50 },
    });
  }

  /** How `observer` sees every member (itself included); undefined when it does not answer. */
  async viewAt(observer: ServerId): Promise<Map<ServerId, MemberLiveness> | undefined> {
    try {
      const reply = await this.transport.send(observer, { epoch: 0, body: { kind: 'member-view' } }, REQUEST_TIMEOUT_MS);
      if (reply.body.kind !== 'member-view-reply') return undefined;
      return new Map(decodeUpdates(reply.body.members, 4096).map((claim) => [claim.member, livenessOf(claim)]));
    } catch {
      return undefined;
    }
  }

  /** Whether the proxy holds `member` down (its gossip view plus its own failures); undefined: no answer. */
  async proxyHoldsDown(member: ServerId): Promise<boolean | undefined> {
    const key = await this.keyRoutedTo(member);
    const route = await this.getJson(`${this.endpoints.proxyHttpUrl}/v1/route/${encodeURIComponent(key)}`, this.endpoints.proxyPassword);
    const down = (route as { down?: unknown } | undefined)?.down;
    return Array.isArray(down) ? down.includes(member) : undefined;
  }

  /** The master's `liveness` of `member` in /v1/cluster; undefined without one. */
  async masterSees(member: ServerId): Promise<MemberLiveness | undefined> {
    const summary = await this.getJson(`${this.endpoints.masterUrl}/v1/cluster`, this.endpoints.token) as { servers?: { id: string; liveness?: MemberLiveness }[] } | undefined;
    return summary?.servers?.find((server) => server.id === member)?.liveness;
  }

  async counters(node: WatchedNode): Promise<MembershipCounters | undefined> {
    const text = await this.getText(`http://${node.host}:${node.httpPort}/metrics`, '');
    if (text === undefined) return undefined;
    const read = (name: string): number => {
      const match = new RegExp(`^ringcache_node_membership_${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
      return match === null ? 0 : Number(match[1]);
    };
    return {
      downs: read('downs_total'), suspicions: read('suspicions_total'), refutations: read('refutations_total'), probes: read('probes_total'),
      healthScore: read('health_score'),
    };
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** A key whose row holds `member`, so the proxy's route for it says whether `member` is down. */
  private async keyRoutedTo(member: ServerId): Promise<string> {
    const known = this.keys.get(member);
    if (known !== undefined) return known;
    for (let index = 0; index < ROUTE_KEYS_MAX; index++) {
      const key = `watch:${String(index)}`;
      const route = await this.getJson(`${this.endpoints.proxyHttpUrl}/v1/route/${key}`, this.endpoints.proxyPassword) as { replicas?: string[] } | undefined;
      if (route?.replicas?.includes(member) === true) {
        this.keys.set(member, key);
        return key;
      }
    }
    throw new Error(`no key of the first ${String(ROUTE_KEYS_MAX)} is routed to ${member}`);
  }

  private async getJson(url: string, bearer: string): Promise<unknown> {
    const text = await this.getText(url, bearer);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  private async getText(url: string, bearer: string): Promise<string | undefined> {
    try {
      const response = await fetch(url, {
        headers: bearer === '' ? {} : { authorization: `Bearer ${bearer}` },
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }
}

/** When each observer (node ids, and 'proxy') first saw `member` down, in ms after `sinceMs`. */
export interface DetectionTimes {
  readonly member: ServerId;
  readonly byObserver: ReadonlyMap<string, number>;
  /** Observers that had not seen it down when the wait ended. */
  readonly missing: readonly string[];
}

/**
 * Polls every `pollMs` until every observer node and the proxy hold `member` down, or
 * `timeoutMs` passes. Times are from `sinceMs` (performance.now() of the kill).
 */
export async function watchDetection(
  watch: ClusterWatch, member: ServerId, observers: readonly ServerId[], sinceMs: number, timeoutMs: number, pollMs = 20,
): Promise<DetectionTimes> {
  const seen = new Map<string, number>();
  const wanted = [...observers, 'proxy'];
  while (seen.size < wanted.length && performance.now() - sinceMs < timeoutMs) {
    await Promise.all(wanted.map(async (observer) => {
      if (seen.has(observer)) return;
      const down = observer === 'proxy' ? await watch.proxyHoldsDown(member) : (await watch.viewAt(observer))?.get(member) === 'down';
      if (down === true && !seen.has(observer)) seen.set(observer, performance.now() - sinceMs);
    }));
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { member, byObserver: seen, missing: wanted.filter((observer) => !seen.has(observer)) };
}

/** Polls until every observer holds `member` anything but down (it came back), or `timeoutMs` passes; true when all did. */
export async function watchReturn(watch: ClusterWatch, member: ServerId, observers: readonly ServerId[], timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const views = await Promise.all(observers.map((observer) => watch.viewAt(observer)));
    if (views.every((view) => view !== undefined && view.get(member) !== undefined && view.get(member) !== 'down')) return true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return false;
}
