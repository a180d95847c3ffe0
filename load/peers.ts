import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildHandle, freePort } from '../src/cli/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { hasCommand } from './processes.js';

/**
 * The peers BENCHMARKS.md measured, started exactly as it shows: a bare redis-server, and
 * twemproxy (nutcracker) over 3 redis-servers with its nutcracker.yml. Ports are chosen free and
 * every process is ours, stopped by PID. Missing programs are reported, never fatal.
 */
export interface RespEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface RunningPeer {
  readonly endpoint: RespEndpoint;
  readonly children: readonly ChildHandle[];
  stop(): Promise<void>;
}

/** Where a peer's ports come from: the kernel by default, a reserved range in tests. */
export type PortPicker = () => Promise<number>;

const kernelPort: PortPicker = () => freePort(HOST);

export type LineSink = (name: string, stream: 'stdout' | 'stderr', line: string) => void;

const HOST = '127.0.0.1';
const STOP_DEADLINE_MS = 5000;
const clock = new SystemClock();

/** Why a peer cannot run here, or undefined when its programs are installed. */
export function missingPeer(name: 'redis' | 'twemproxy'): string | undefined {
  if (!hasCommand('redis-server')) return 'redis-server is not installed (Debian: apt-get install redis-server)';
  if (name === 'twemproxy' && !hasCommand('nutcracker')) return 'nutcracker is not installed (Debian: apt-get install nutcracker)';
  return undefined;
}

/**
 * Resolves once host:port answers a RESP GET (redis and twemproxy both do); bounded by deadlineMs.
 * With `write`, only once a SET is acknowledged: a ringcache proxy answers before its table and
 * nodes are ready, with an error.
 */
export async function waitForResp(endpoint: RespEndpoint, deadlineMs: number, write = false): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const request = write
    ? '*3\r\n$3\r\nSET\r\n$15\r\n__bench_probe__\r\n$1\r\nx\r\n'
    : '*2\r\n$3\r\nGET\r\n$15\r\n__bench_probe__\r\n';
  let last = '';
  while (Date.now() < deadline) {
    try {
      const reply = await respRoundTrip(endpoint, request, 1000);
      if (write ? reply.startsWith('+OK') : reply.startsWith('$') || reply.startsWith('-')) return;
      last = `unexpected reply ${JSON.stringify(reply)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${endpoint.host}:${endpoint.port} did not answer RESP within ${deadlineMs} ms (${last})`);
}

function respRoundTrip(endpoint: RespEndpoint, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no reply')); }, timeoutMs);
    socket.once('error', (error) => { clearTimeout(timer); reject(error); });
    socket.once('connect', () => { socket.write(request); });
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk.toString('latin1'));
    });
  });
}

function spawnRedis(name: string, port: number, prefix: readonly string[], onLine: LineSink): ChildHandle {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
  const [file = 'redis-server', ...rest] = [...prefix, 'redis-server', ...args];
  return new ChildHandle({ name, file, args: rest, onLine });
}

async function stopAllChildren(children: readonly ChildHandle[]): Promise<void> {
  for (const child of [...children].reverse()) await child.stop(clock, STOP_DEADLINE_MS);
}

/** `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no`, pinned by `prefix`. */
export async function startBareRedis(prefix: readonly string[], onLine: LineSink, pickPort: PortPicker = kernelPort): Promise<RunningPeer> {
  const port = await pickPort();
  const child = spawnRedis('redis', port, prefix, onLine);
  const endpoint = { host: HOST, port };
  const stop = (): Promise<void> => stopAllChildren([child]);
  try {
    await waitForResp(endpoint, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, children: [child], stop };
}

/** The nutcracker.yml of BENCHMARKS.md, with the ports chosen here. */
export function nutcrackerYaml(listenPort: number, redisPorts: readonly number[]): string {
  return [
    'alpha:',
    `  listen: ${HOST}:${listenPort}`,
    '  hash: fnv1a_64',
    '  distribution: ketama',
    '  redis: true',
    '  auto_eject_hosts: false',
    '  server_connections: 1',
    '  timeout: 4000',
    '  servers:',
    ...redisPorts.map((port, index) => `   - ${HOST}:${port}:1 r${index + 1}`),
    '',
  ].join('\n');
}

/** twemproxy over 3 redis-servers, all pinned by `prefix`; the config lives in a temp folder. */
export async function startTwemproxy(prefix: readonly string[], onLine: LineSink, pickPort: PortPicker = kernelPort): Promise<RunningPeer> {
  const folder = mkdtempSync(join(tmpdir(), 'ringcache-twemproxy-'));
  const redisPorts = [await pickPort(), await pickPort(), await pickPort()];
  const listenPort = await pickPort();
  const statsPort = await pickPort();
  const children = redisPorts.map((port, index) => spawnRedis(`twem-r${index + 1}`, port, prefix, onLine));
  const stop = async (): Promise<void> => {
    await stopAllChildren(children);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    for (const port of redisPorts) await waitForResp({ host: HOST, port }, 10_000);
    const configFile = join(folder, 'nutcracker.yml');
    writeFileSync(configFile, nutcrackerYaml(listenPort, redisPorts));
    const args = ['-c', configFile, '-s', String(statsPort), '-a', HOST];
    const [file = 'nutcracker', ...rest] = [...prefix, 'nutcracker', ...args];
    children.push(new ChildHandle({ name: 'twemproxy', file, args: rest, onLine }));
    await waitForResp({ host: HOST, port: listenPort }, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: { host: HOST, port: listenPort }, children, stop };
}
