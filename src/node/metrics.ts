import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { BUILD_INFO_METRIC, LatencyHistogram, registerBuildInfo } from '../metrics/index.js';
import { limitCloses } from '../resp/index.js';
import type { RespServerStats } from '../resp/index.js';
import type { StorageEngine } from '../storage/index.js';
import type { NodeServiceStats } from './service.js';
import { HANDLER_LATENCY_BOUNDS_MS } from './resp-handler.js';
import type { NodeRespHandlerStats } from './resp-handler.js';
import type { MetricSource, PeerService } from './peer-service.js';

/** Where the node's metrics are read from at scrape time. */
export interface NodeMetricsSources {
  readonly engine: StorageEngine;
  readonly service: () => NodeServiceStats | undefined;
  readonly handler: NodeRespHandlerStats;
  readonly resp: RespServerStats;
  /** The node's services: each may export figures of its own (PeerService.metrics). */
  readonly services: readonly PeerService[];
  readonly epoch: () => number;
  /** Peer messages refused before they touched the store, by reason (validate.ts). */
  readonly peerInputRefusals?: () => [string, number][];
}

const PREFIX = 'ringcache_node_';
/** Siblings per key: 1 is the norm, a few under concurrency; siblingsMax (64) is the ceiling. */
const SIBLING_BUCKETS = [1, 2, 3, 4, 8, 16, 32, 64];

/**
 * The node's Prometheus metrics, in a Registry the process owns (never prom-client's global one, so
 * several nodes share a test process). Most mirror counters the components already keep
 * (RespServer.stats, NodeService.stats, engine.stats()) and are read at scrape time: the hot path
 * pays nothing. The sibling-count histogram is observed on every stored put and merge.
 */
export class NodeMetrics {
  private readonly names: string[] = [];
  private readonly siblings: Histogram;

  constructor(private readonly registry: Registry, sources: NodeMetricsSources) {
    const { engine, handler, resp } = sources;
    this.labelledCounter('requests_total', 'Internode requests decoded, by kind.', 'kind', () => handler.requests);
    this.labelledCounter('request_errors_total', 'Internode requests answered with an error, by code.', 'code', () => [...handler.errors]);
    this.labelledCounter('peer_messages_refused_total', 'Peer messages refused before touching the store: a key under another vnode, a counter its actor cannot have issued.', 'reason', () => sources.peerInputRefusals?.() ?? []);
    this.counter('merges_changed_total', 'Merges that changed the stored state (replication, read repair).', () => sources.service()?.mergesChanged ?? 0);
    this.counter('duplicate_puts_total', 'Coordinated puts answered from the request-id memory (resends).', () => sources.service()?.duplicatesIgnored ?? 0);
    this.gauge('keys', 'Keys stored, dead ones included until swept.', () => engine.stats().keys);
    this.gauge('stored_bytes', 'Bytes stored by the engine\'s own accounting (keys, values, versions).', () => engine.stats().bytes);
    this.gauge('storage_limit_bytes', 'storage.bytesMax: over it, writes are refused or keys evicted (storage.evictionPolicy).', () => engine.stats().bytesMax);
    this.counter('evictions_total', 'Keys evicted under storage.evictionPolicy lru.', () => engine.stats().evictions);
    this.counter('rejections_total', 'Writes refused with RC_ERR_STORAGE_FULL.', () => engine.stats().rejections);
    this.counter('siblings_overflow_total', 'Siblings dropped above limits.siblingsMax.', () => engine.stats().siblingsOverflow);
    this.gauge('table_epoch', 'Table epoch this node knows.', sources.epoch);
    this.gauge('resp_connections', 'Internode RESP connections open.', () => resp.connectionsOpen);
    this.counter('resp_connections_accepted_total', 'Internode RESP connections accepted.', () => resp.connectionsAccepted);
    this.counter('resp_commands_total', 'RESP commands received on the internode port.', () => resp.commands);
    this.counter('resp_protocol_errors_total', 'Connections closed for a RESP framing error.', () => resp.protocolErrors);
    this.counter('resp_cross_protocol_refusals_total', 'Internode connections closed because they spoke HTTP (a browser or curl aimed at the port).', () => resp.crossProtocolRefusals);
    this.counter('resp_tls_handshake_failures_total', 'Internode connections refused in the TLS handshake (plain text, or a certificate the cluster CA did not sign).', () => resp.tlsHandshakeFailures);
    this.labelledCounter('resp_limit_closes_total', 'Internode connections closed by a limit: resp.* timeouts and output buffer, or turned away at the connection limit.', 'limit', () => limitCloses(resp));
    this.counter('resp_auth_failures_total', 'Internode authentications refused (a wrong challenge answer, an answer with no challenge pending: a replay, a wrong AUTH token); each closed its connection.', () => handler.authFailures);
    this.counter('resp_auth_timeouts_total', 'Internode connections closed for not authenticating within cluster.authTimeoutMs.', () => handler.authTimeouts);
    this.counter('resp_challenge_auths_total', 'Internode connections that authenticated by answering the cluster-token challenge (the token never sent).', () => handler.challengeAuths);
    this.counter('resp_plain_token_auths_total', 'Internode connections that authenticated with AUTH <token> (redis-cli, the ioredis link): the token crossed the wire.', () => handler.plainTokenAuths);
    this.counter('receive_bytes_total', 'Bytes read from connections on the internode port.', () => resp.bytesReceived);
    this.counter('transmit_bytes_total', 'Reply bytes written to connections on the internode port.', () => resp.bytesSent);
    this.names.push(`${PREFIX}request_duration_seconds`);
    new LatencyHistogram(registry, {
      name: `${PREFIX}request_duration_seconds`,
      help: 'Time from an internode command being decoded to its reply being encoded, by kind: the node\'s own share of a request.',
      labelNames: ['kind'],
      boundsMs: HANDLER_LATENCY_BOUNDS_MS,
      source: () => [...handler.latency].map(([kind, buckets]) => [{ kind }, buckets] as const),
    });
    this.names.push(BUILD_INFO_METRIC);
    registerBuildInfo(registry, 'node');
    for (const service of sources.services) for (const source of service.metrics?.() ?? []) this.fromSource(source);
    this.names.push(`${PREFIX}siblings`);
    this.siblings = new Histogram({
      name: `${PREFIX}siblings`, help: 'Siblings of a key after a put or merge stored it.', buckets: SIBLING_BUCKETS, registers: [registry],
    });
  }

  observeSiblings(count: number): void {
    this.siblings.observe(count);
  }

  /** Removes every metric from the registry, so a new node can register them again. */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
    this.names.length = 0;
  }

  private fromSource(source: MetricSource): void {
    const read = (): Iterable<readonly [string, number]> => {
      const value = source.read();
      return typeof value === 'number' ? [['', value]] : value;
    };
    if (source.type === 'counter') {
      this.labelledCounter(source.name, source.help, source.label, read);
      return;
    }
    const name = `${PREFIX}${source.name}`;
    this.names.push(name);
    const label = source.label;
    new Gauge({
      name, help: source.help, labelNames: label === undefined ? [] : [label], registers: [this.registry],
      collect() {
        for (const [value, reading] of read()) {
          if (label === undefined) this.set(reading);
          else this.set({ [label]: value }, reading);
        }
      },
    });
  }

  private counter(suffix: string, help: string, read: () => number): void {
    this.labelledCounter(suffix, help, undefined, () => [['', read()]]);
  }

  /** A counter mirroring monotonic totals kept elsewhere: each scrape adds what is new. */
  private labelledCounter(suffix: string, help: string, label: string | undefined, read: () => Iterable<readonly [string, number]>): void {
    const name = `${PREFIX}${suffix}`;
    const seen = new Map<string, number>();
    this.names.push(name);
    new Counter({
      name, help, labelNames: label === undefined ? [] : [label], registers: [this.registry],
      collect() {
        for (const [value, total] of read()) {
          const previous = seen.get(value);
          const delta = Math.max(0, total - (previous ?? 0));
          // A first sight of a label value adds 0 too, so every kind shows from the first scrape.
          if (previous !== undefined && delta === 0) continue;
          seen.set(value, total);
          if (label === undefined) this.inc(delta);
          else this.inc({ [label]: value }, delta);
        }
      },
    });
  }

  private gauge(suffix: string, help: string, read: () => number): void {
    const name = `${PREFIX}${suffix}`;
    this.names.push(name);
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
  }
}
