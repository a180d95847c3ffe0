import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './latency-histogram.js';
import type { LatencySummary } from './latency-histogram.js';
import { countErrorKind, ReplyScanner } from './resp-reply-scanner.js';
import { openReadySocket } from './socket-open.js';
import type { RespTlsOptions } from './socket-open.js';
import { keyName } from './zipf-keys.js';
import type { ZipfKeys } from './zipf-keys.js';

/**
 * A RESP load driver over raw sockets, redis-benchmark's way: C connections, each sending a
 * batch of P commands (the pipeline depth), waiting for all P replies, then sending the next.
 * Each request's latency is from its batch's write to the socket read holding its reply.
 * Replies are only counted (resp-reply-scanner.ts), never built, so the driver is not what
 * limits the measurement; it reports its own CPU use so a reader can check that.
 *
 * Bounded: no batch starts after `requestsMax` commands were issued or `durationMs` passed;
 * replies still missing `drainMs` later are counted as lost and the sockets destroyed.
 */
export { openSocket } from './socket-open.js';
export type { RespTlsOptions } from './socket-open.js';

export interface Workload {
  /** The next command, RESP-encoded as a latin1 string (keys and values are ASCII). */
  next(): string;
}

export interface RespLoadOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly workload: Workload;
  readonly requestsMax: number;
  readonly durationMs: number;
  /** Sent as AUTH on each connection first (proxy.password). */
  readonly password?: string;
  /** Speak TLS (a proxy with proxy.tlsCertFile), trusting `ca` (PEM) for the server's certificate. */
  readonly tls?: RespTlsOptions;
  /** @default 5000 */
  readonly drainMs?: number;
  /** @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Called every `tickMs` with the last interval's figures (the live line of `ringcache load`). */
  readonly onTick?: (tick: LoadTick) => void;
  /** @default 1000 */
  readonly tickMs?: number;
  /** Stops issuing early (then drains as at durationMs): a load that runs while something else happens. */
  readonly signal?: AbortSignal;
}

export interface LoadTick {
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  readonly errors: number;
}

export interface RespLoadResult {
  readonly connections: number;
  readonly pipeline: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Error replies by kind ("ERR RC_ERR_TIMEOUT": the prefix word and the ringcache code), at most 16 kinds. */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** Issued but never answered (drain deadline, a connection lost). */
  readonly lost: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  /** CPU the driver process used, as % of one core, over the run. */
  readonly driverCpuPercent: number;
}

/** The single commands `npm run bench` measures beside the GET/SET mix. */
export type BenchCommand = 'set' | 'get' | 'incr' | 'hset' | 'sadd' | 'zadd';

/** Fields or members per hash, set or sorted set: collections stay far below limits.collectionElementsMax. */
const ELEMENTS_PER_KEY = 100;

function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

/** One command over Zipf keys, like redis-benchmark -t incr,hset,sadd,zadd: collections get one of ELEMENTS_PER_KEY fields. */
export function singleCommand(keys: ZipfKeys, command: BenchCommand): Workload {
  const value = keys.value.toString('latin1');
  return {
    next: () => {
      const key = keys.nextKey();
      const element = `e${String(Math.floor(keys.nextFraction() * ELEMENTS_PER_KEY))}`;
      switch (command) {
        case 'set': return `*3\r\n$3\r\nSET\r\n${bulk(key)}${bulk(value)}`;
        case 'get': return `*2\r\n$3\r\nGET\r\n${bulk(key)}`;
        case 'incr': return `*2\r\n$4\r\nINCR\r\n${bulk(`c:${key}`)}`;
        case 'hset': return `*4\r\n$4\r\nHSET\r\n${bulk(`h:${key}`)}${bulk(element)}${bulk(value)}`;
        case 'sadd': return `*3\r\n$4\r\nSADD\r\n${bulk(`s:${key}`)}${bulk(element)}`;
        case 'zadd': return `*4\r\n$4\r\nZADD\r\n${bulk(`z:${key}`)}${bulk(element.slice(1))}${bulk(element)}`;
      }
    },
  };
}

/** 90/10 (by default) GET/SET over Zipf keys, like redis-benchmark -t get,set on -r keys. */
export function zipfMix(keys: ZipfKeys, getRatio: number): Workload {
  const value = keys.value.toString('latin1');
  const setTail = `\r\n$${value.length}\r\n${value}\r\n`;
  return {
    next: () => {
      const key = keys.nextKey();
      return keys.nextFraction() < getRatio
        ? `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`
        : `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}${setTail}`;
    },
  };
}

/** SET of every key once, in order: the preload that makes later GETs hit. */
export function sequentialSets(keyCount: number, value: Buffer): Workload {
  let index = 0;
  const text = value.toString('latin1');
  return {
    next: () => {
      const key = keyName(index++ % keyCount);
      return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${text.length}\r\n${text}\r\n`;
    },
  };
}

export function encodeCommandText(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

interface Shared {
  issued: number;
  completed: number;
  stopIssuing: boolean;
  readonly total: LatencyHistogram;
  readonly interval: LatencyHistogram;
  readonly scannerErrors: { count: number; first: string | undefined; readonly kinds: Map<string, number> };
}

/** One socket of the run: batch out, replies in, next batch. */
class DriverConnection {
  outstanding = 0;
  private batchStartMs = 0;
  private readonly scanner = new ReplyScanner();
  failed: string | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly options: RespLoadOptions,
    private readonly shared: Shared,
    private readonly onIdle: () => void,
  ) {
    socket.on('data', (chunk: Buffer) => { this.onData(chunk); });
    socket.on('error', (error) => { this.fail(error.message); });
    socket.on('close', () => { this.fail('connection closed by the server'); });
  }

  sendBatch(): void {
    const { shared, options } = this;
    if (shared.stopIssuing || this.failed !== undefined) {
      this.onIdle();
      return;
    }
    const count = Math.min(options.pipeline, options.requestsMax - shared.issued);
    if (count <= 0) {
      shared.stopIssuing = true;
      this.onIdle();
      return;
    }
    let text = '';
    for (let index = 0; index < count; index++) text += options.workload.next();
    shared.issued += count;
    this.outstanding = count;
    this.batchStartMs = performance.now();
    this.socket.write(text, 'latin1');
  }

  private onData(chunk: Buffer): void {
    let replies: number;
    try {
      replies = this.scanner.feed(chunk);
    } catch (error) {
      this.fail((error as Error).message);
      this.socket.destroy();
      return;
    }
    if (replies === 0) return;
    const latencyUs = (performance.now() - this.batchStartMs) * 1000;
    this.shared.total.recordMany(latencyUs, replies);
    this.shared.interval.recordMany(latencyUs, replies);
    this.shared.completed += replies;
    this.shared.scannerErrors.count += this.scanner.errors;
    this.shared.scannerErrors.first ??= this.scanner.firstError;
    for (const [kind, count] of this.scanner.errorKinds) countErrorKind(this.shared.scannerErrors.kinds, kind, count);
    this.scanner.errorKinds.clear();
    this.scanner.errors = 0;
    this.outstanding -= replies;
    if (this.outstanding <= 0) this.sendBatch();
  }

  private fail(reason: string): void {
    if (this.failed !== undefined) return;
    this.failed = reason;
    this.onIdle();
  }
}

/** Opens one connection (and AUTHs it); rejects with a message naming host:port (RC_ERR_TLS for a failed handshake). */
async function connect(options: RespLoadOptions): Promise<net.Socket> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const socket = await openReadySocket(options, timeoutMs);
  if (options.password !== undefined && options.password !== '') {
    await authenticate(socket, options.password, timeoutMs).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
  }
  return socket;
}

async function authenticate(socket: net.Socket, password: string, timeoutMs: number): Promise<void> {
  const scanner = new ReplyScanner();
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => { settle(new Error(`AUTH not answered within ${timeoutMs} ms`)); }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (scanner.feed(chunk) === 0) return;
      settle(scanner.errors > 0 ? new Error(`AUTH refused: ${scanner.firstError ?? ''}`) : undefined);
    };
    const onClose = (): void => { settle(new Error('connection closed before AUTH was answered')); };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(encodeCommandText(['AUTH', password]), 'latin1');
  });
}

function checkOptions(options: RespLoadOptions): void {
  const positive = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  };
  positive('connections', options.connections);
  positive('pipeline', options.pipeline);
  positive('requestsMax', options.requestsMax);
  positive('durationMs', options.durationMs);
}

/** Runs the load; resolves when every connection is idle, or at the drain deadline. */
export async function runRespLoad(options: RespLoadOptions): Promise<RespLoadResult> {
  checkOptions(options);
  const opened = await Promise.allSettled(Array.from({ length: options.connections }, () => connect(options)));
  const refused = opened.find((outcome) => outcome.status === 'rejected');
  if (refused !== undefined) {
    // The connections that did open must not outlive the run: they would hold the server's stop.
    for (const outcome of opened) if (outcome.status === 'fulfilled') outcome.value.destroy();
    throw refused.reason;
  }
  const sockets = opened.map((outcome) => (outcome as PromiseFulfilledResult<net.Socket>).value);
  const shared: Shared = {
    issued: 0,
    completed: 0,
    stopIssuing: false,
    total: new LatencyHistogram(),
    interval: new LatencyHistogram(),
    scannerErrors: { count: 0, first: undefined, kinds: new Map() },
  };
  return new Promise((resolve) => {
    const cpuStart = process.cpuUsage();
    const startMs = performance.now();
    let finished = false;
    let lastTickMs = startMs;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      clearInterval(tickTimer);
      const elapsedMs = performance.now() - startMs;
      for (const socket of sockets) socket.destroy();
      const cpu = process.cpuUsage(cpuStart);
      const failure = connections.find((connection) => connection.failed !== undefined)?.failed;
      const firstError = shared.scannerErrors.first ?? failure;
      resolve({
        connections: options.connections,
        pipeline: options.pipeline,
        requests: shared.completed,
        errors: shared.scannerErrors.count,
        ...(firstError === undefined ? {} : { firstError }),
        errorKinds: Object.fromEntries(shared.scannerErrors.kinds),
        lost: shared.issued - shared.completed,
        elapsedMs,
        opsPerSec: shared.completed / (elapsedMs / 1000),
        latency: shared.total.summary(),
        driverCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      });
    };
    const checkDone = (): void => {
      if (finished) return;
      const done = connections.every((connection) =>
        connection.failed !== undefined || (connection.outstanding <= 0 && shared.stopIssuing));
      if (done) finish();
    };
    const connections = sockets.map((socket) => new DriverConnection(socket, options, shared, checkDone));
    const stopTimer = setTimeout(() => { shared.stopIssuing = true; checkDone(); }, options.durationMs);
    let drainTimer = setTimeout(finish, options.durationMs + (options.drainMs ?? 5000));
    options.signal?.addEventListener('abort', () => {
      shared.stopIssuing = true;
      clearTimeout(drainTimer);
      drainTimer = setTimeout(finish, options.drainMs ?? 5000);
      checkDone();
    }, { once: true });
    const tickTimer = setInterval(() => {
      const now = performance.now();
      options.onTick?.({
        elapsedMs: now - startMs,
        opsPerSec: shared.interval.count / ((now - lastTickMs) / 1000),
        latency: shared.interval.summary(),
        errors: shared.scannerErrors.count,
      });
      shared.interval.reset();
      lastTickMs = now;
    }, options.tickMs ?? 1000);
    for (const connection of connections) connection.sendBatch();
  });
}
