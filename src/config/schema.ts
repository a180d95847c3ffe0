import { REPLICATION_DEFAULTS } from '../replication/options.js';
import { NODE_SERVICE_DEFAULTS } from '../node/options.js';
import { MEMORY_ENGINE_DEFAULTS } from '../storage/memory-engine-options.js';
import { RESP_DEFAULTS } from '../resp/options.js';
import { VERSION_DEFAULTS } from '../version/options.js';
import { HINT_DEFAULTS } from '../hinted-handoff/options.js';

/**
 * Every configuration key, its type, range, default and why, in one place: loading validates
 * against it, `docs/CONFIGURATION.md` is checked against it by a test, and each leaf's default
 * comes from the owning module's frozen DEFAULTS object.
 */
export type Leaf =
  | { readonly type: 'integer'; readonly default: number; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly type: 'boolean'; readonly default: boolean; readonly doc: string }
  | { readonly type: 'string'; readonly default: string; readonly doc: string }
  | { readonly type: 'enum'; readonly default: string; readonly values: readonly string[]; readonly doc: string };

const MiB = 1024 * 1024;
const INT_MAX = Number.MAX_SAFE_INTEGER;
const PORT = { min: 0, max: 65535 } as const;

export const SCHEMA = {
  cluster: {
    vnodeCount: { type: 'integer', default: 1024, min: 1, max: 65536, doc: 'V, vnodes in the table; a power of two fixed for the life of a cluster (Dynamo strategy 3). ~100-200 per server keeps moves fine-grained.' },
    replicaCount: { type: 'integer', default: 3, min: 1, max: 16, doc: 'N, replicas per vnode; at most the number of servers.' },
    tokensPerServer: { type: 'integer', default: 64, min: 1, max: 4096, doc: 'Ring tokens per unit of capacity for the initial consistent-hashing placement; more tokens, smoother first cut before evening.' },
    token: { type: 'string', default: '', doc: 'Shared cluster token required by admin and internode endpoints when not empty; also the key that signs context tokens.' },
  },
  replication: {
    r: { type: 'integer', default: REPLICATION_DEFAULTS.r, min: 1, max: 16, doc: 'R, replicas a read waits for; R + W > N gives read-your-writes.' },
    w: { type: 'integer', default: REPLICATION_DEFAULTS.w, min: 1, max: 16, doc: 'W, replicas a write waits for, the coordinating one included.' },
    requestTimeoutMs: { type: 'integer', default: REPLICATION_DEFAULTS.requestTimeoutMs, min: 1, max: 600_000, doc: 'Deadline of one internode request before the replica counts as failed.' },
    speculativeRetryMs: { type: 'integer', default: REPLICATION_DEFAULTS.speculativeRetryMs, min: 1, max: 600_000, doc: 'A read short of R answers after this long asks one more replica (hedged request).' },
    failureBackoffMs: { type: 'integer', default: REPLICATION_DEFAULTS.failureBackoffMs, min: 1, max: 600_000, doc: 'How long a coordinator avoids a node after a failed request (local failure detection).' },
    readRepair: { type: 'boolean', default: REPLICATION_DEFAULTS.readRepair, doc: 'Send the merged result of a read to replicas that answered with an older version.' },
    readRepairDelayMs: { type: 'integer', default: REPLICATION_DEFAULTS.readRepairDelayMs, min: 0, max: 600_000, doc: "A replica missing only siblings minted this recently is not read-repaired: the write's own MERGE, a hint or anti-entropy brings them. 0 repairs every replica that is behind." },
    pw: { type: 'integer', default: REPLICATION_DEFAULTS.pw, min: 0, max: 16, doc: 'PW, primaries (replicas of the row, not fallbacks) that must acknowledge a write; 0 lets fallbacks holding hints count toward W (sloppy quorum). At most N.' },
  },
  limits: {
    keyBytesMax: { type: 'integer', default: NODE_SERVICE_DEFAULTS.keyBytesMax, min: 1, max: 64 * 1024, doc: 'Longest key accepted, in bytes.' },
    valueBytesMax: { type: 'integer', default: VERSION_DEFAULTS.valueBytesMax, min: 1, max: 64 * MiB, doc: 'Longest value accepted, in bytes (also bounds HTTP bodies).' },
    siblingsMax: { type: 'integer', default: VERSION_DEFAULTS.siblingsMax, min: 1, max: 4096, doc: 'Concurrent values kept per key; above it the newest win and the overflow is counted.' },
    contextEntriesMax: { type: 'integer', default: VERSION_DEFAULTS.contextEntriesMax, min: 1, max: 65536, doc: 'Entries accepted in a causal context token (one per server incarnation that coordinated writes).' },
  },
  storage: {
    bytesMax: { type: 'integer', default: MEMORY_ENGINE_DEFAULTS.bytesMax, min: 1, max: INT_MAX, doc: 'Memory a node may hold for values, by its own accounting.' },
    evictionPolicy: { type: 'enum', default: MEMORY_ENGINE_DEFAULTS.evictionPolicy, values: ['reject', 'lru'], doc: "At bytesMax: 'reject' refuses writes (RC_ERR_STORAGE_FULL, no acknowledged write lost) or 'lru' evicts like a cache." },
    tombstoneGraceMs: { type: 'integer', default: 24 * 3600 * 1000, min: 1, max: INT_MAX, doc: 'Age after which a deleted or expired key is collected; longer than a hint lives and an anti-entropy round, or deletes can resurrect.' },
    sweepIntervalMs: { type: 'integer', default: 1000, min: 10, max: 3_600_000, doc: 'How often a node collects dead keys.' },
    sweepKeysMax: { type: 'integer', default: 10_000, min: 1, max: INT_MAX, doc: 'Keys examined per sweep, so a sweep never stalls the event loop.' },
  },
  resp: {
    bulkBytesMax: { type: 'integer', default: RESP_DEFAULTS.bulkBytesMax, min: 1, max: 512 * MiB, doc: 'Longest RESP bulk string (one argument).' },
    arrayLengthMax: { type: 'integer', default: RESP_DEFAULTS.arrayLengthMax, min: 1, max: INT_MAX, doc: 'Most arguments in one RESP command.' },
    inlineBytesMax: { type: 'integer', default: RESP_DEFAULTS.inlineBytesMax, min: 1, max: 16 * MiB, doc: 'Longest inline (telnet-style) command.' },
    frameBytesMax: { type: 'integer', default: RESP_DEFAULTS.frameBytesMax, min: 1, max: 1024 * MiB, doc: 'Most argument bytes in one command.' },
    inflightMax: { type: 'integer', default: RESP_DEFAULTS.inflightMax, min: 1, max: INT_MAX, doc: 'Commands of one connection awaiting replies before the server stops reading it.' },
    inflightBytesMax: { type: 'integer', default: RESP_DEFAULTS.inflightBytesMax, min: 1, max: INT_MAX, doc: 'Argument bytes of one connection awaiting replies before the server stops reading it.' },
    outputBytesHighWater: { type: 'integer', default: RESP_DEFAULTS.outputBytesHighWater, min: 1, max: INT_MAX, doc: 'Unsent reply bytes of one connection before the server stops reading it.' },
  },
  master: {
    host: { type: 'string', default: '127.0.0.1', doc: 'Address the shard-master listens on and others reach it at.' },
    port: { type: 'integer', default: 7000, ...PORT, doc: 'Admin HTTP port of the shard-master.' },
    stateFile: { type: 'string', default: 'var/master-state.json', doc: 'Where the master persists servers and the table (temp file, fsync, rename).' },
    longPollMs: { type: 'integer', default: 25_000, min: 1, max: 600_000, doc: 'How long GET /v1/table?since= waits for a newer epoch before answering 304.' },
  },
  proxy: {
    host: { type: 'string', default: '127.0.0.1', doc: 'Address the proxy listens on.' },
    respPort: { type: 'integer', default: 6380, ...PORT, doc: 'Redis-protocol port of the proxy.' },
    httpPort: { type: 'integer', default: 8080, ...PORT, doc: 'HTTP port of the proxy.' },
    tableCacheFile: { type: 'string', default: 'var/proxy-table.json', doc: 'Last table seen, so a proxy restarted while the master is down still routes.' },
    password: { type: 'string', default: '', doc: "Password clients must AUTH with on the RESP port and send as 'Authorization: Bearer' on HTTP /v1/kv (Redis requirepass); empty: no authentication." },
  },
  hints: {
    bytesMax: { type: 'integer', default: HINT_DEFAULTS.bytesMax, min: 1, max: INT_MAX, doc: 'Bytes of hints a fallback keeps for one owner; past it the fallback refuses the hint (RC_ERR_HINTS_FULL) and the coordinator tries the next one.' },
    ageMsMax: { type: 'integer', default: HINT_DEFAULTS.ageMsMax, min: 1, max: INT_MAX, doc: 'Age after which an unreplayed hint is dropped (anti-entropy covers it from then); storage.tombstoneGraceMs must be longer.' },
    replayBytesPerSec: { type: 'integer', default: HINT_DEFAULTS.replayBytesPerSec, min: 1, max: INT_MAX, doc: 'Replay budget of one node to all owners, so a returning node is not flooded (a token bucket, one-second burst).' },
    replayConcurrency: { type: 'integer', default: HINT_DEFAULTS.replayConcurrency, min: 1, max: 1024, doc: 'Replayed MERGEs in flight at once per node.' },
    replayIntervalMs: { type: 'integer', default: HINT_DEFAULTS.replayIntervalMs, min: 10, max: 3_600_000, doc: 'How often a node retries owners it holds hints for and drops expired hints (it also replays as soon as gossip shows an owner up).' },
  },
  node: {
    dedupeEntriesMax: { type: 'integer', default: NODE_SERVICE_DEFAULTS.dedupeEntriesMax, min: 1, max: INT_MAX, doc: 'Recent write request ids a node remembers so a resent write is applied once.' },
  },
} as const satisfies Record<string, Record<string, Leaf>>;

/** One storage node of the cluster (config `nodes[]`). */
export const NODE_ENTRY_SCHEMA = {
  id: { type: 'string', default: '', doc: 'Stable server id, e.g. "n1".' },
  zone: { type: 'string', default: 'a', doc: 'Failure domain; rows spread over as many zones as exist.' },
  capacity: { type: 'integer', default: 1, min: 1, max: 1000, doc: 'Relative weight: replicas held are proportional to it.' },
  host: { type: 'string', default: '127.0.0.1', doc: 'Address of the node.' },
  port: { type: 'integer', default: 7101, ...PORT, doc: 'Internode RESP port.' },
  httpPort: { type: 'integer', default: 7201, ...PORT, doc: 'HTTP port: /health, /metrics, /v1/stats.' },
} as const satisfies Record<string, Leaf>;

type LeafValue<L> = L extends { type: 'integer' } ? number
  : L extends { type: 'boolean' } ? boolean
    : L extends { type: 'enum'; values: readonly (infer V)[] } ? V
      : string;

type Section<S> = { readonly [K in keyof S]: LeafValue<S[K]> };

export type NodeEntry = Section<typeof NODE_ENTRY_SCHEMA>;

export type RingcacheConfig = { readonly [S in keyof typeof SCHEMA]: Section<(typeof SCHEMA)[S]> } & {
  readonly nodes: readonly NodeEntry[];
};
