/**
 * What the internode challenge costs (node dist/load/internode-auth-bench.js): a node RESP port
 * with and without a cluster token, in this process on 127.0.0.1.
 *
 *   per connection: a new link (TcpTransport) sends one ping; the token adds RC.CHALLENGE and
 *                   RC.AUTH, two round trips, before it
 *   per request:    one pooled link, pings in batches of 64; authenticated once, so the token
 *                   should cost nothing here
 *
 * Rounds alternate the two settings; medians of the per-round figures are printed.
 */
import { performance } from 'node:perf_hooks';
import { NodeRespHandler } from '../src/node/index.js';
import { RespServer } from '../src/resp/index.js';
import { SystemClock, SystemRandom } from '../src/runtime/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, TcpTransport } from '../src/transport/index.js';
import type { InternodeHandler } from '../src/transport/index.js';

const clock = new SystemClock();
const CONNECTIONS = 300;
const REQUESTS = 40_000;
const BATCH = 64;
const ROUNDS = 5;
const ping = { epoch: 1, body: { kind: 'ping' } } as const;
const pong: InternodeHandler = { handle: () => ({ epoch: 1, body: { kind: 'pong', serverId: 'n1' } }) };

async function withServer<T>(token: string, body: (port: number) => Promise<T>): Promise<T> {
  const handler = new NodeRespHandler({ handler: pong, catalogue: new MessageCatalogue(DATA_MESSAGES), limits: INTERNODE_LIMITS_DEFAULTS, token, random: new SystemRandom(), clock });
  const server = new RespServer({
    handler: { onCommand: (args, connection) => handler.onCommand(args, connection), onConnection: (c) => { handler.onConnection(c); }, onDisconnection: (c) => { handler.onDisconnection(c); } },
    clock,
  }, { host: '127.0.0.1', port: 0, closeTimeoutMs: 200 });
  await server.start();
  try {
    return await body(server.port);
  } finally {
    await server.stop();
  }
}

/** Microseconds from a new link's first send to its reply, per connection. */
async function perConnectionUs(token: string): Promise<number> {
  return withServer(token, async (port) => {
    const startMs = performance.now();
    for (let i = 0; i < CONNECTIONS; i++) {
      const transport = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port }), clock, token });
      await transport.send('n1', ping, 5000);
      await transport.close();
    }
    return ((performance.now() - startMs) * 1000) / CONNECTIONS;
  });
}

/** Process CPU microseconds per request over one pooled link (client and node both in this process). */
async function perRequestCpuUs(token: string): Promise<number> {
  return withServer(token, async (port) => {
    const transport = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port }), clock, token });
    try {
      await transport.send('n1', ping, 5000);
      const cpu = process.cpuUsage();
      for (let sent = 0; sent < REQUESTS; sent += BATCH) {
        await Promise.all(Array.from({ length: BATCH }, () => transport.send('n1', ping, 5000)));
      }
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / REQUESTS;
    } finally {
      await transport.close();
    }
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const token = 'bench-token-0123456789abcdef0123456789abcdef';
  const figures = { connOff: [] as number[], connOn: [] as number[], reqOff: [] as number[], reqOn: [] as number[] };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 0 ? ['', token] : [token, ''];
    for (const t of order) {
      (t === '' ? figures.connOff : figures.connOn).push(await perConnectionUs(t));
      (t === '' ? figures.reqOff : figures.reqOn).push(await perRequestCpuUs(t));
    }
    const i = round - 1;
    console.log(`round ${round}: per connection ${figures.connOff[i]?.toFixed(0)} us plain, ${figures.connOn[i]?.toFixed(0)} us with the challenge; ` +
      `per request cpu ${figures.reqOff[i]?.toFixed(2)} us plain, ${figures.reqOn[i]?.toFixed(2)} us authenticated`);
  }
  const ratios = figures.reqOn.map((on, i) => on / (figures.reqOff[i] ?? Number.NaN));
  console.log(`median of ${ROUNDS}: per connection ${median(figures.connOff).toFixed(0)} -> ${median(figures.connOn).toFixed(0)} us ` +
    `(+${(median(figures.connOn) - median(figures.connOff)).toFixed(0)} us); per request cpu ${median(figures.reqOff).toFixed(2)} -> ${median(figures.reqOn).toFixed(2)} us, ` +
    `per-round ratio median ${median(ratios).toFixed(3)}`);
}

await main();
