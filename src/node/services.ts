import { AntiEntropyService } from '../anti-entropy/index.js';
import type { NodeServiceFactory } from './peer-service.js';
import { Sweeper } from './sweeper.js';
import { VnodeTransfers } from './transfers.js';
import { CounterService } from '../datatypes/index.js';
import { membershipService } from '../membership/index.js';
import { HintedHandoff } from '../hinted-handoff/index.js';
import { KeyspaceService } from '../keyspace/index.js';

/**
 * The services of a storage node, in start order: the one list the process (storage-node.ts)
 * and the simulator both use, so nothing is wired twice.
 */
export function nodeServices(): readonly NodeServiceFactory[] {
  return [
    (context) => new Sweeper(context),
    (context) => new CounterService(context),
    membershipService(),
    (context) => new AntiEntropyService(context),
    (context) => new HintedHandoff(context),
    (context) => new KeyspaceService(context),
    (context) => new VnodeTransfers(context),
  ];
}
