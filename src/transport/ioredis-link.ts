import { Redis, ReplyError } from 'ioredis';
import { RingcacheError } from '../runtime/index.js';
import type { RespValue } from '../resp/index.js';
import { reconnectDelayMs, unreachable } from './peer-link.js';
import type { LinkCall, PeerAddress, PeerLink, PeerLinkOptions } from './peer-link.js';

type BufferCommand = (...args: (string | Buffer)[]) => Promise<unknown>;

interface Waiter {
  readonly command: readonly (string | Buffer)[];
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: RingcacheError) => void;
}

/**
 * A PeerLink over ioredis (DESIGN.md section 1): one connection per node, auto-pipelining on (the
 * calls of one turn leave in one write), binary replies kept as Buffers (`<command>Buffer`).
 *
 * ioredis's offline queue is off: it would hold calls across reconnects. Instead, calls made
 * while ioredis is connecting wait here for that one attempt ('ready' sends them, 'close'
 * rejects them); calls made while it backs off between attempts (status 'reconnecting') fail at
 * once. ioredis reconnects in the background with our capped backoff; maxRetriesPerRequest 0 and
 * autoResendUnfulfilledCommands off make a lost connection reject its calls instead of resending.
 */
export class IoredisLink implements PeerLink {
  private readonly redis: Redis;
  private waiters: Waiter[] = [];
  private readonly commands = new Map<string, BufferCommand>();
  private lastError = 'not connected yet';
  private closed = false;
  private issued = 0;

  constructor(private readonly server: string, private readonly address: PeerAddress, options: PeerLinkOptions) {
    this.redis = new Redis({
      host: address.host,
      port: address.port,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // Our nodes answer neither INFO (the ready check) nor CLIENT SETINFO.
      enableReadyCheck: false,
      disableClientInfo: true,
      connectTimeout: options.connectTimeoutMs,
      noDelay: true,
      ...(options.token === '' ? {} : { password: options.token }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      retryStrategy: (attempt: number) => reconnectDelayMs(attempt, options),
    });
    // Without a listener ioredis prints every connection error; the message goes into rejections.
    this.redis.on('error', (error: Error) => { this.lastError = error.message; });
    this.redis.on('ready', () => { this.flushWaiters(); });
    this.redis.on('close', () => { this.rejectWaiters(); });
  }

  get unanswered(): number {
    return this.issued + this.waiters.length;
  }

  submit(call: LinkCall): void {
    this.call(call.command()).then(
      (value) => { call.onLinkReply(value); },
      (error: unknown) => { call.onLinkError(this.connectionError(error)); },
    );
  }

  private call(command: readonly (string | Buffer)[]): Promise<RespValue> {
    if (this.closed) return Promise.reject(unreachable(this.server, this.address, 'transport closed'));
    switch (this.redis.status) {
      case 'ready':
        return this.issue(command);
      case 'wait':
        this.redis.connect().catch(() => undefined);
        return this.afterConnect(command);
      case 'connecting':
      case 'connect':
        return this.afterConnect(command);
      default:
        return Promise.reject(unreachable(this.server, this.address, this.lastError));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
    this.rejectWaiters();
  }

  private issue(command: readonly (string | Buffer)[]): Promise<RespValue> {
    const [name, ...args] = command;
    this.issued++;
    return this.commandOf(name as string)(...args).then(
      (value) => {
        this.issued--;
        return fromIoredis(value);
      },
      (error: unknown) => {
        this.issued--;
        if (error instanceof ReplyError) return { kind: 'error', message: (error as Error).message } as const;
        throw this.connectionError(error);
      },
    );
  }

  /**
   * The `<name>Buffer` method of a command registered with addBuiltinCommand. Why not callBuffer:
   * under auto-pipelining ioredis 5 drops callBuffer's command name (redis/ioredis#1923, open;
   * it throws from a setImmediate, which kills the process). Registered commands pipeline fine
   * and keep binary replies as Buffers.
   */
  private commandOf(name: string): BufferCommand {
    let command = this.commands.get(name);
    if (command === undefined) {
      this.redis.addBuiltinCommand(name);
      const method = (this.redis as unknown as Record<string, BufferCommand | undefined>)[`${name}Buffer`];
      if (method === undefined) throw new RingcacheError('RC_ERR_INTERNAL', `ioredis did not register ${name}`);
      command = method.bind(this.redis);
      this.commands.set(name, command);
    }
    return command;
  }

  private afterConnect(command: readonly (string | Buffer)[]): Promise<RespValue> {
    return new Promise((resolve, reject) => { this.waiters.push({ command, resolve, reject }); });
  }

  private flushWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) this.issue(waiter.command).then(waiter.resolve, waiter.reject);
  }

  private rejectWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    const why = this.closed ? 'transport closed' : this.lastError;
    for (const waiter of waiters) waiter.reject(unreachable(this.server, this.address, why));
  }

  private connectionError(error: unknown): RingcacheError {
    if (error instanceof RingcacheError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === 'ParserError') {
      return new RingcacheError('RC_ERR_PROTOCOL', `${this.server} sent a malformed reply: ${message}`, { server: this.server });
    }
    return unreachable(this.server, this.address, this.closed ? 'transport closed' : `${message} (${this.lastError})`);
  }
}

/** ioredis's reply values (Buffers, numbers, nulls, arrays) as the RespValue shapes of src/resp. */
function fromIoredis(value: unknown): RespValue {
  if (Buffer.isBuffer(value)) return { kind: 'bulk', value };
  if (value === null) return { kind: 'bulk', value: null };
  if (typeof value === 'number') return { kind: 'integer', value };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(fromIoredis) };
  if (value instanceof ReplyError) return { kind: 'error', message: (value as Error).message };
  throw new RingcacheError('RC_ERR_PROTOCOL', `internode: unexpected reply value of type ${typeof value}`);
}
