/**
 * The proxy's Prometheus metrics (`ringcache_proxy_*`), on the process's own Registry.
 *
 * Hot-path cost is a few array increments per request: requests are counted in a flat
 * Float64Array indexed by (series, outcome) and latencies in a LatencyHistogram; prom-client
 * objects read them at scrape time through `collect()`. Nothing builds a label string per request.
 *
 *   counts[series * 3 + outcome]     outcome: 0 ok, 1 rejected (bad input, 4xx), 2 failed (5xx)
 *
 * Commands by data type and family (`ringcache_proxy_commands_by_type_total`) cost nothing per
 * request either: each RESP series is given its (type, family) once, at start-up, and the
 * counter sums the series' counts when scraped.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Coordinator, TableView } from '../replication/index.js';
import { limitCloses } from '../resp/index.js';
import type { RespServerStats } from '../resp/index.js';
import type { HttpConnectionStats } from './http-connections.js';
import { LatencyHistogram, registerBuildInfo } from '../metrics/index.js';
import type { RequestTally } from '../load/index.js';

export const OUTCOME_OK = 0;
export const OUTCOME_REJECTED = 1;
export const OUTCOME_FAILED = 2;
export type Outcome = typeof OUTCOME_OK | typeof OUTCOME_REJECTED | typeof OUTCOME_FAILED;
const OUTCOME_NAMES = ['ok', 'rejected', 'failed'] as const;

export type Protocol = 'resp' | 'http';

/** What the metrics read at scrape time. */
export interface ProxyMetricsSource {
  readonly coordinator: Coordinator;
  readonly table: TableView;
}

/** Connection counters of the servers, attached by ProxyServer once they exist. */
export interface ConnectionSource {
  respStats?: () => RespServerStats;
  httpConnections?: () => HttpConnectionStats;
}

interface SeriesName {
  readonly protocol: Protocol;
  readonly command: string;
}

/** A command's data type and family (src/proxy/resp/command-kind.ts): labels from the command table, never from keys. */
export interface SeriesKind {
  readonly type: string;
  readonly family: string;
}

export class ProxyMetrics {
  /** Plain counters the front-ends bump; exported at scrape time. */
  readonly reads = { hits: 0, misses: 0, withSiblings: 0 };
  private readonly names: SeriesName[] = [];
  private readonly seriesByName = new Map<string, number>();
  private readonly kinds: (SeriesKind | undefined)[] = [];
  private counts = new Float64Array(64 * 3);
  private readonly latency: LatencyHistogram<'protocol' | 'command'>;
  private connections: ConnectionSource = {};

  constructor(registry: Registry, source: ProxyMetricsSource) {
    const registers = [registry];
    this.latency = new LatencyHistogram(registry, {
      name: 'ringcache_proxy_request_duration_seconds',
      help: 'Time from a command being parsed to its reply being ready, by protocol and command.',
      labelNames: ['protocol', 'command'],
    });
    registerBuildInfo(registry, 'proxy');
    const names = this.names;
    const counts = (): Float64Array => this.counts;
    new Counter({
      name: 'ringcache_proxy_requests_total',
      help: 'Requests by protocol, command and outcome (ok; rejected: bad input or a limit, 4xx; failed: quorum, timeout or internal, 5xx).',
      labelNames: ['protocol', 'command', 'outcome'] as const,
      registers,
      collect() {
        this.reset();
        const values = counts();
        names.forEach((name, series) => {
          for (let outcome = 0; outcome < 3; outcome++) {
            const value = values[series * 3 + outcome] ?? 0;
            if (value > 0 || outcome === OUTCOME_OK) this.inc({ ...name, outcome: OUTCOME_NAMES[outcome] ?? 'ok' }, value);
          }
        });
      },
    });
    this.registerKindCounter(registry);
    this.registerReadCounters(registry);
    registerCoordinatorMetrics(registry, source);
    this.registerConnectionMetrics(registry);
  }

  /** The series number of (protocol, command); registers it on first use (start-up, not per request). */
  series(protocol: Protocol, command: string): number {
    const key = `${protocol} ${command}`;
    const known = this.seriesByName.get(key);
    if (known !== undefined) return known;
    const series = this.names.length;
    this.names.push({ protocol, command });
    this.seriesByName.set(key, series);
    const latencySeries = this.latency.addSeries({ protocol, command });
    if (latencySeries !== series) throw new Error('metrics series out of step');
    if ((series + 1) * 3 > this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    return series;
  }

  /** Gives a series its data type and family, once at start-up: counted by type from then on. */
  describeSeries(series: number, kind: SeriesKind): void {
    this.kinds[series] = kind;
  }

  /** One finished request and how long it took. */
  record(series: number, outcome: Outcome, elapsedMs: number): void {
    const index = series * 3 + outcome;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.latency.observeMs(series, elapsedMs);
  }

  /** A request counted without a latency (unknown commands, refused before running). */
  count(series: number, outcome: Outcome): void {
    const index = series * 3 + outcome;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
  }

  /** Requests of one series so far, all outcomes (INFO, tests). */
  total(series: number): number {
    return (this.counts[series * 3] ?? 0) + (this.counts[series * 3 + 1] ?? 0) + (this.counts[series * 3 + 2] ?? 0);
  }

  /**
   * Every command of both protocols so far, by outcome, and their latency histogram summed: what
   * the load report's request figures are taken from (src/load/request-tally.ts), once an interval.
   */
  requestTally(): RequestTally {
    let requests = 0;
    let rejected = 0;
    let errors = 0;
    for (let series = 0; series < this.names.length; series++) {
      const base = series * 3;
      requests += (this.counts[base + OUTCOME_OK] ?? 0) + (this.counts[base + OUTCOME_REJECTED] ?? 0) + (this.counts[base + OUTCOME_FAILED] ?? 0);
      rejected += this.counts[base + OUTCOME_REJECTED] ?? 0;
      errors += this.counts[base + OUTCOME_FAILED] ?? 0;
    }
    return { requests, errors, rejected, latency: { boundsMs: this.latency.bucketBoundsMs, counts: this.latency.totalCounts() } };
  }

  attachConnections(source: ConnectionSource): void {
    this.connections = { ...this.connections, ...source };
  }

  private registerKindCounter(registry: Registry): void {
    const kinds = this.kinds;
    const counts = (): Float64Array => this.counts;
    new Counter({
      name: 'ringcache_proxy_commands_by_type_total',
      help: 'RESP commands by the data type they work on (string, counter, hash, set, zset, keyspace, server, connection, ringcache) and family (read, write, scan, other), every outcome.',
      labelNames: ['type', 'family'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const values = counts();
        const sums = new Map<string, { kind: SeriesKind; value: number }>();
        kinds.forEach((kind, series) => {
          if (kind === undefined) return;
          const value = (values[series * 3] ?? 0) + (values[series * 3 + 1] ?? 0) + (values[series * 3 + 2] ?? 0);
          const key = `${kind.type} ${kind.family}`;
          const sum = sums.get(key);
          if (sum === undefined) sums.set(key, { kind, value });
          else sum.value += value;
        });
        for (const { kind, value } of sums.values()) this.inc({ type: kind.type, family: kind.family }, value);
      },
    });
  }

  private registerReadCounters(registry: Registry): void {
    const reads = this.reads;
    new Counter({
      name: 'ringcache_proxy_reads_total',
      help: 'Single-value reads (GET, MGET, HTTP GET) by result: hit or miss (absent, deleted or expired).',
      labelNames: ['result'] as const,
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, reads.hits);
        this.inc({ result: 'miss' }, reads.misses);
      },
    });
    new Counter({
      name: 'ringcache_proxy_sibling_reads_total',
      help: 'Reads that found more than one live sibling (concurrent writes a careful client should merge).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(reads.withSiblings);
      },
    });
  }

  private registerConnectionMetrics(registry: Registry): void {
    const source = (): ConnectionSource => this.connections;
    new Gauge({
      name: 'ringcache_proxy_connections',
      help: 'Open client connections by protocol.',
      labelNames: ['protocol'] as const,
      registers: [registry],
      collect() {
        const { respStats, httpConnections } = source();
        this.set({ protocol: 'resp' }, respStats?.().connectionsOpen ?? 0);
        this.set({ protocol: 'http' }, httpConnections?.().open ?? 0);
      },
    });
    new Counter({
      name: 'ringcache_proxy_connections_accepted_total',
      help: 'Client connections accepted by protocol.',
      labelNames: ['protocol'] as const,
      registers: [registry],
      collect() {
        const { respStats, httpConnections } = source();
        this.reset();
        this.inc({ protocol: 'resp' }, respStats?.().connectionsAccepted ?? 0);
        this.inc({ protocol: 'http' }, httpConnections?.().accepted ?? 0);
      },
    });
    const bytes = (name: string, help: string, read: (resp: RespServerStats | undefined, http: HttpConnectionStats | undefined) => [number, number]): void => {
      new Counter({
        name, help, labelNames: ['protocol'] as const, registers: [registry],
        collect() {
          const { respStats, httpConnections } = source();
          const [resp, http] = read(respStats?.(), httpConnections?.());
          this.reset();
          this.inc({ protocol: 'resp' }, resp);
          this.inc({ protocol: 'http' }, http);
        },
      });
    };
    bytes('ringcache_proxy_receive_bytes_total', 'Bytes read from client connections, by protocol.', (resp, http) => [resp?.bytesReceived ?? 0, http?.bytesReceived ?? 0]);
    bytes('ringcache_proxy_transmit_bytes_total', 'Bytes written to client connections, by protocol.', (resp, http) => [resp?.bytesSent ?? 0, http?.bytesSent ?? 0]);
    new Counter({
      name: 'ringcache_proxy_resp_protocol_errors_total',
      help: 'RESP connections closed for a malformed frame or a frame over a resp.* limit.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(source().respStats?.().protocolErrors ?? 0);
      },
    });
    new Counter({
      name: 'ringcache_proxy_limit_closes_total',
      help: 'Client connections closed by a limit: RESP turned away at proxy.maxClients, HTTP dropped at proxy.httpConnectionsMax, a half-sent command past resp.frameTimeoutMs, idle past resp.idleTimeoutMs, replies over resp.outputBufferBytesMax.',
      labelNames: ['limit'] as const,
      registers: [registry],
      collect() {
        const stats = source().respStats?.();
        this.reset();
        if (stats !== undefined) for (const [limit, count] of limitCloses(stats)) this.inc({ limit }, count);
        this.inc({ limit: 'http_max_connections' }, source().httpConnections?.().dropped ?? 0);
      },
    });
    new Counter({
      name: 'ringcache_proxy_resp_cross_protocol_refusals_total',
      help: 'RESP connections closed because they spoke HTTP (POST, Host:, an HTTP request line), before any command ran.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(source().respStats?.().crossProtocolRefusals ?? 0);
      },
    });
  }
}

/** Coordinator counters and the table the proxy routes by, read at scrape time. */
function registerCoordinatorMetrics(registry: Registry, source: ProxyMetricsSource): void {
  const registers = [registry];
  const stats = (): Coordinator['stats'] => source.coordinator.stats;
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
  };
  counter('ringcache_proxy_coordinator_reads_total', 'Quorum reads started by this proxy\'s coordinator.', () => stats().reads);
  counter('ringcache_proxy_coordinator_writes_total', 'Quorum writes started by this proxy\'s coordinator.', () => stats().writes);
  counter('ringcache_proxy_hedged_reads_total', 'Extra replicas asked because a read was slower than replication.speculativeRetryMs.', () => stats().hedgedReads);
  counter('ringcache_proxy_read_repairs_total', 'Merged versions sent to replicas that answered a read with an older one.', () => stats().readRepairs);
  counter('ringcache_proxy_read_repairs_skipped_total', 'Replicas behind only by writes newer than replication.readRepairDelayMs, left to those writes\' own MERGEs.', () => stats().readRepairsSkipped);
  counter('ringcache_proxy_hints_sent_total', 'Hinted writes sent to fallbacks for replicas that were down (sloppy quorum).', () => stats().hintsSent);
  counter('ringcache_proxy_hinted_writes_total', 'Writes acknowledged with a fallback\'s hint among the W acknowledgements.', () => stats().hintedWrites);
  counter('ringcache_proxy_fallback_reads_total', 'Sloppy reads sent to fallbacks because fewer than R replicas could answer.', () => stats().fallbackReads);
  new Counter({
    name: 'ringcache_proxy_quorum_failures_total',
    help: 'Reads answered by fewer than R replicas and writes acknowledged by fewer than W, by operation.',
    labelNames: ['operation'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ operation: 'read' }, stats().readFailures);
      this.inc({ operation: 'write' }, stats().writeFailures);
    },
  });
  new Gauge({
    name: 'ringcache_proxy_table_epoch',
    help: 'Epoch of the table this proxy routes by.',
    registers,
    collect() { this.set(source.table.current().epoch); },
  });
  new Gauge({
    name: 'ringcache_proxy_servers_down',
    help: 'Servers of the table this proxy currently believes are down (gossip view + its own failed requests).',
    registers,
    collect() {
      const liveness = source.coordinator.liveness;
      this.set(source.table.current().table.servers.filter((server) => !liveness.isUp(server.id)).length);
    },
  });
  new Gauge({
    name: 'ringcache_proxy_node_up',
    help: 'Per server of the table: 1 while this proxy believes it up, 0 while down (gossip view + its own failed requests).',
    labelNames: ['node'] as const,
    registers,
    collect() {
      const liveness = source.coordinator.liveness;
      // Reset first: a server that left the table must not linger with its last value.
      this.reset();
      for (const server of source.table.current().table.servers) this.set({ node: server.id }, liveness.isUp(server.id) ? 1 : 0);
    },
  });
}
