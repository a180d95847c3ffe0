/**
 * The transport contract against the simulator's network, on the real clock with no latency, so
 * the very suite the TCP transport passes runs here unchanged (timeouts are real milliseconds).
 */
import { SeededRandom, SystemClock } from '../../src/runtime/index.js';
import { SimNetwork } from '../../src/transport/index.js';
import { transportContract } from './transport-contract.js';

transportContract('SimNetwork', () => {
  const network = new SimNetwork(new SystemClock(), new SeededRandom(42), { latencyMsMin: 0, latencyMsMean: 0, latencyMsMax: 0 });
  const transport = network.transport('coordinator');
  return Promise.resolve({
    transport,
    listen: (server, handler) => { network.listen(server, handler); return Promise.resolve(); },
    crash: (server) => { network.unlisten(server); return Promise.resolve(); },
    teardown: () => transport.close(),
  });
});
