/**
 * The bare HTTP baseline of the benchmark: fastify answering GET /v1/kv/:key with a fixed
 * 100-byte value (BENCHMARKS.md's "fastify 5 GET returning a 100-byte value"), so ringcache's
 * HTTP path is compared with the framework it is built on, measured in the same run.
 *
 *   node dist/load/fastify-target.js [--port N]     prints {"ready":true,"role":"fastify",...}
 *
 * Listens on 127.0.0.1 only; stops on SIGTERM or SIGINT.
 */
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { readyLine } from '../src/cli/index.js';

export const FASTIFY_VALUE = Buffer.alloc(100, 'v');

export async function startFastifyTarget(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  app.get('/health', () => ({ status: 'ok' }));
  app.get('/v1/kv/:key', (_request, reply) => {
    void reply.header('content-type', 'application/octet-stream').send(FASTIFY_VALUE);
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { port: bound, close: () => app.close() };
}

async function main(): Promise<void> {
  const index = process.argv.indexOf('--port');
  const port = index === -1 ? 0 : Number(process.argv[index + 1]);
  const server = await startFastifyTarget(port);
  process.stdout.write(`${readyLine({ role: 'fastify', httpPort: server.port })}\n`);
  const stop = (): void => { void server.close().then(() => { process.exit(0); }); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// Run as a program (the benchmark spawns it), not when imported by a test.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
