/**
 * Micro-benchmark of the Coordinator's SendObserver seam: what the proxy's per-backend metrics
 * add to one internode request (ObservedSends.begin + onSendReply into BackendMetrics: two
 * monotonic clock reads, one TimedSend, two Map lookups, a bucket search), against handing the
 * reply straight to the receiver. Not a test: it prints numbers.
 *
 *   npm run build && node dist/load/send-observer-bench.js [requests=2000000] [rounds=15]
 *
 * 'without clock' repeats the observed loop on a clock that reads a constant, to show how much
 * of the cost is the clock itself.
 */
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { BackendMetrics } from '../src/proxy/index.js';
import { ObservedSends } from '../src/replication/send-observer.js';
import type { Exchange } from '../src/replication/exchange.js';
import { SystemClock } from '../src/runtime/index.js';
import type { Clock } from '../src/runtime/index.js';
import type { Envelope, InternodeReply } from '../src/transport/index.js';
import type { SendReceiver } from '../src/transport/index.js';

const requests = Number(process.argv[2] ?? 2_000_000);
const rounds = Number(process.argv[3] ?? 15);
const SERVERS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const REPLY: Envelope<InternodeReply> = { epoch: 1, body: { kind: 'ack' } };
const EXCHANGE: Exchange = { onReply: () => undefined, onFailure: () => undefined };

let replies = 0;
const receiver: SendReceiver<Exchange> = {
  onSendReply: () => { replies++; },
  onSendFailure: () => undefined,
};

function direct(): void {
  for (let i = 0; i < requests; i++) receiver.onSendReply(EXCHANGE, SERVERS[i % 5] as string, REPLY);
}

function observedLoop(clock: Clock): () => void {
  const observed = new ObservedSends(new BackendMetrics(new Registry()), clock, receiver);
  return () => {
    for (let i = 0; i < requests; i++) {
      const server = SERVERS[i % 5] as string;
      observed.onSendReply(observed.begin(server, (i & 1) === 0 ? 'read' : 'merge', EXCHANGE), server, REPLY);
    }
  };
}

/** A clock whose monotonic reading never moves: the seam's cost without the clock's. */
class ConstantClock extends SystemClock {
  override monotonicMs(): number {
    return 1;
  }
}
const constantClock: Clock = new ConstantClock();
const cases: [string, () => void][] = [['direct', direct], ['observed', observedLoop(new SystemClock())], ['without clock', observedLoop(constantClock)]];
const timings = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of cases) {
    const started = performance.now();
    run();
    timings.get(name)?.push(((performance.now() - started) * 1e6) / requests);
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const [plain, observed, clockless] = cases.map(([name]) => median(timings.get(name) ?? []));
console.log(`ns per internode request (median of ${String(rounds)} rounds of ${String(requests)}, node ${process.version}):`);
console.log(`  direct ${plain?.toFixed(1) ?? '?'}, observed ${observed?.toFixed(1) ?? '?'}, observed without clock ${clockless?.toFixed(1) ?? '?'}`);
console.log(`  seam cost ${((observed ?? 0) - (plain ?? 0)).toFixed(1)} ns, of which the clock ${((observed ?? 0) - (clockless ?? 0)).toFixed(1)} ns (${String(replies)} replies)`);
