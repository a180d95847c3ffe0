import { REPLICATION_DEFAULTS } from '../replication/options.js';
import { NODE_SERVICE_DEFAULTS } from '../node/options.js';
import { MEMORY_ENGINE_DEFAULTS } from '../storage/memory-engine-options.js';
import { RESP_DEFAULTS } from '../resp/options.js';
import { RESP_SERVER_DEFAULTS } from '../resp/server.js';
import { HTTP_SERVER_DEFAULTS } from '../http/server-limits.js';
import { VERSION_DEFAULTS } from '../version/options.js';
import { LOG_FORMATS, LOG_LEVELS } from '../runtime/logger.js';
import { ANTI_ENTROPY_DEFAULTS } from '../anti-entropy/options.js';
import { MEMBERSHIP_DEFAULTS } from '../membership/options.js';
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
    tokenFile: { type: 'string', default: 'var/cluster-token', doc: "Where the cluster token is kept when cluster.token is empty (relative to the folder a command runs in): ringcache start creates it (random, mode 0600) and every command from the same folder reads it; '' turns the file off." },
    authTimeoutMs: { type: 'integer', default: 10_000, min: 1, max: 600_000, doc: 'An internode connection that has not answered the cluster-token challenge (or sent AUTH) this long after it opened is closed and counted; bounds the descriptors a client without the token can hold. Links authenticate in one round trip after connecting, so a few ms is the usual need.' },
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
    collectionElementsMax: { type: 'integer', default: VERSION_DEFAULTS.collectionElementsMax, min: 1, max: 16 * MiB, doc: 'Fields of a hash or members of a set or sorted set; an add past it is refused with a coded error, so one key cannot take a node\'s memory.' },
    memberBytesMax: { type: 'integer', default: VERSION_DEFAULTS.memberBytesMax, min: 1, max: 64 * MiB, doc: 'Longest hash field name or set / sorted-set member accepted, in bytes (field values are bounded by valueBytesMax).' },
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
    outputBufferBytesMax: { type: 'integer', default: RESP_DEFAULTS.outputBufferBytesMax, min: 1, max: INT_MAX, doc: "Reply bytes one connection may hold (ready and unsent) before it is closed and counted, as Redis's client-output-buffer-limit; at least the largest reply (proxy.mgetReplyBytesMax)." },
    frameTimeoutMs: { type: 'integer', default: RESP_DEFAULTS.frameTimeoutMs, min: 1, max: INT_MAX, doc: 'A command begun but not completed within this long closes the connection (half-sent frames).' },
    idleTimeoutMs: { type: 'integer', default: RESP_DEFAULTS.idleTimeoutMs, min: 0, max: INT_MAX, doc: "A connection with nothing in flight that sends nothing this long is closed (Redis 'timeout'); 0: never, since pooled clients keep idle connections." },
  },
  log: {
    level: { type: 'enum', default: 'info', values: LOG_LEVELS, doc: "Lowest level a process logs (pino levels). Under `ringcache start` the children log at it and the launcher shows only warn and above unless --verbose." },
    format: { type: 'enum', default: 'auto', values: LOG_FORMATS, doc: "'pretty' (readable, prefixed by role/id), 'json' (one pino object per line, for a collector) or 'auto': pretty when stderr is a terminal, else json." },
  },
  master: {
    host: { type: 'string', default: '127.0.0.1', doc: 'Address the shard-master listens on and others reach it at.' },
    port: { type: 'integer', default: 7000, ...PORT, doc: 'Admin HTTP port of the shard-master.' },
    stateFile: { type: 'string', default: 'var/master-state.json', doc: 'Where the master persists servers and the table (temp file, fsync, rename).' },
    longPollMs: { type: 'integer', default: 25_000, min: 1, max: 600_000, doc: 'How long GET /v1/table?since= waits for a newer epoch before answering 304.' },
    moveConcurrencyMax: { type: 'integer', default: 4, min: 1, max: 1024, doc: 'Replica moves in flight at once (rows pending in the table); each target syncs its vnode by anti-entropy, so this bounds the repair traffic moves add.' },
    moveBudgetBytesPerMin: { type: 'integer', default: 256 * MiB, min: 1, max: INT_MAX, doc: 'Bytes replica moves may copy per minute (a token bucket of one minute): a move starts only while the bucket is positive, one move may always run.' },
    moveCheckIntervalMs: { type: 'integer', default: 500, min: 10, max: 600_000, doc: 'How often the move executor asks each target how far it has synced, swaps in the synced ones (epoch + 1) and starts queued moves.' },
  },
  proxy: {
    host: { type: 'string', default: '127.0.0.1', doc: 'Address the proxy listens on.' },
    respPort: { type: 'integer', default: 6380, ...PORT, doc: 'Redis-protocol port of the proxy.' },
    httpPort: { type: 'integer', default: 8080, ...PORT, doc: 'HTTP port of the proxy.' },
    tableCacheFile: { type: 'string', default: 'var/proxy-table.json', doc: 'Last table seen, so a proxy restarted while the master is down still routes.' },
    maxClients: { type: 'integer', default: RESP_SERVER_DEFAULTS.clientsMax, min: 1, max: 1_000_000, doc: "RESP client connections open at once; one more is answered '-ERR max number of clients reached' and closed (Redis maxclients). Keep it, plus proxy.httpConnectionsMax, below the open-file limit (ulimit -n)." },
    httpConnectionsMax: { type: 'integer', default: HTTP_SERVER_DEFAULTS.connectionsMax, min: 1, max: 1_000_000, doc: 'HTTP connections open at once; more are closed at accept (node:http server.maxConnections).' },
    httpHeaderBytesMax: { type: 'integer', default: HTTP_SERVER_DEFAULTS.headerBytesMax, min: 1024, max: 1024 * 1024, doc: 'Longest HTTP request line plus headers; longer is answered 431 before any route runs.' },
    httpRequestTimeoutMs: { type: 'integer', default: HTTP_SERVER_DEFAULTS.requestTimeoutMs, min: 1, max: 3_600_000, doc: 'Time a client has to send a whole HTTP request (headers and body); slower ones are closed (slowloris).' },
    mgetReplyBytesMax: { type: 'integer', default: 64 * MiB, min: 1, max: INT_MAX, doc: 'Value bytes one MGET may gather; past it the command fails with RC_ERR_REPLY_TOO_LARGE instead of holding the reply (one 1 MiB key named 1,000 times is 1 GiB).' },
    password: { type: 'string', default: '', doc: "Password clients must AUTH with on the RESP port and send as 'Authorization: Bearer' on HTTP /v1/kv (Redis requirepass); empty: no authentication." },
    hotKeyCacheTtlMs: { type: 'integer', default: 1000, min: 0, max: 60_000, doc: 'How long the proxy serves a hot key from its near cache before reading it again; a write through another proxy is seen at most this late. 0: no near cache. Needs load reports (rebalance.loadReportIntervalMs > 0): they find the hot keys.' },
    hotKeyCacheFactor: { type: 'integer', default: 8, min: 1, max: 1000, doc: 'Near-cache size: ceil(S ln S x this) keys for S servers (Fan et al. 2011: O(S log S) hot keys even the load whatever the skew).' },
    tlsCertFile: { type: 'string', default: '', doc: "PEM certificate (chain) of the proxy's RESP and HTTP ports; with proxy.tlsKeyFile both ports speak TLS only (redis-cli --tls, ioredis tls, https). Empty: plain TCP." },
    tlsKeyFile: { type: 'string', default: '', doc: 'PEM private key of proxy.tlsCertFile; set both or neither.' },
    invalidationFlushMs: { type: 'integer', default: 5, min: 1, max: 10_000, doc: "How long writes of watched keys (hot at some proxy, from the master's answer to each load report) gather before one batch of invalidations goes to every other proxy; the delay a write through this proxy or client library is seen late at the others, instead of proxy.hotKeyCacheTtlMs." },
    invalidationBatchKeysMax: { type: 'integer', default: 1024, min: 1, max: 65_536, doc: 'Keys one invalidation batch carries, sent and accepted; more in one window are dropped and counted, and those keys are seen at the others after proxy.hotKeyCacheTtlMs.' },
    invalidationFenceMs: { type: 'integer', default: 250, min: 0, max: 60_000, doc: "After an invalidation from another proxy, reads of the key are not cached for this long: the invalidation leaves when the write starts, so a read here could still meet the old value until the write reaches W replicas. Keep it above the write latency's tail (replication.requestTimeoutMs bounds it)." },
  },
  antiEntropy: {
    intervalMs: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.intervalMs, min: 1, max: 3_600_000, doc: 'Mean time between two anti-entropy ticks (+-25% jitter); each tick starts up to exchangesMax visits of vnodesPerExchangeMax vnodes, so a node holding all V vnodes visits each within ceil(V / (exchangesMax x vnodesPerExchangeMax)) ticks (one cycle).' },
    exchangesMax: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.exchangesMax, min: 1, max: 256, doc: 'Visits a node leads at once (each compares its vnodes with every other replica in turn); bounds its repair traffic.' },
    vnodesPerExchangeMax: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.vnodesPerExchangeMax, min: 1, max: 65_536, doc: 'Vnodes one visit covers: an exchange with a peer compares all of them in the same messages, so their per-message cost is paid once.' },
    keysPerRoundMax: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.keysPerRoundMax, min: 1, max: 10_000_000, doc: 'Keys repaired in one exchange (each pushed, pulled or both); a vnode that differs by more is repaired over several visits.' },
    bytesPerRoundMax: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.bytesPerRoundMax, min: 1024, max: INT_MAX, doc: 'Bytes of key listings and states sent plus received in one exchange (RESP framing included); it stops at the next message past it, after at least one message of repairs. The tree comparison before costs at most 8 bytes a tree node.' },
    messageBytesMax: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.messageBytesMax, min: 1024, max: 256 * MiB, doc: 'Largest anti-entropy payload (digests, key listings, states) sent or accepted; one state alone may exceed it. At most resp.frameBytesMax - 4096.' },
    leavesPerNode: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.leavesPerNode, min: 4, max: 1 << 22, doc: 'Merkle leaves over all V vnode trees (each vnode gets 4^depth <= leavesPerNode / V, depth >= 1; 8 bytes a node, allocated for held vnodes only). About one key per leaf makes exchanges cheapest; must be the same on every node.' },
    requestTimeoutMs: { type: 'integer', default: ANTI_ENTROPY_DEFAULTS.requestTimeoutMs, min: 1, max: 600_000, doc: 'Deadline of one anti-entropy request (a message may carry messageBytesMax bytes).' },
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
    transferGraceMs: { type: 'integer', default: 30_000, min: 0, max: INT_MAX, doc: 'How long a node keeps a vnode the table moved away from it before dropping its keys: coordinators still on the old table read it meanwhile (fencing refuses them once the node has the new epoch), and a move undone by the operator finds the data still there.' },
  },
  membership: {
    probeIntervalMs: { type: 'integer', default: MEMBERSHIP_DEFAULTS.probeIntervalMs, min: 10, max: 60_000, doc: 'Each node probes one member per interval (SWIM), round-robin: about one probe per member per interval cluster-wide.' },
    probeTimeoutMs: { type: 'integer', default: MEMBERSHIP_DEFAULTS.probeTimeoutMs, min: 1, max: 59_999, doc: 'A direct probe without an ack this long asks indirectProbes relays; below probeIntervalMs (the rest of the interval is theirs).' },
    indirectProbes: { type: 'integer', default: MEMBERSHIP_DEFAULTS.indirectProbes, min: 1, max: 16, doc: "k relays that probe a member that missed its direct ack (SWIM ping-req); all must fail, and a second direct try, before it is suspect." },
    suspicionMult: { type: 'integer', default: MEMBERSHIP_DEFAULTS.suspicionMult, min: 1, max: 100, doc: 'Suspicion timeout min = suspicionMult * max(1, log10(n)) * probeIntervalMs; suspicionMult - 2 independent confirmations bring it down to min (Lifeguard).' },
    suspicionMaxTimeoutMult: { type: 'integer', default: MEMBERSHIP_DEFAULTS.suspicionMaxTimeoutMult, min: 1, max: 100, doc: 'Suspicion timeout max = this * min: how long a suspicion nobody else confirms waits for a refutation.' },
    gossipIntervalMs: { type: 'integer', default: MEMBERSHIP_DEFAULTS.gossipIntervalMs, min: 10, max: 60_000, doc: 'How often a node with news (suspicion, refutation, down, its own change) pushes and pulls member updates with fanout random members; without news it sends nothing.' },
    fanout: { type: 'integer', default: MEMBERSHIP_DEFAULTS.fanout, min: 1, max: 64, doc: 'Members gossiped to per interval; news reaches n members in about log_fanout(n) intervals.' },
    retransmitMult: { type: 'integer', default: MEMBERSHIP_DEFAULTS.retransmitMult, min: 1, max: 64, doc: 'Each update rides in retransmitMult * ceil(log10(n + 1)) messages before leaving the broadcast queue (SWIM lambda log n).' },
    updatesPerMessageMax: { type: 'integer', default: MEMBERSHIP_DEFAULTS.updatesPerMessageMax, min: 2, max: 1024, doc: 'Member updates in one gossip or probe message, sent and accepted; a received message with more is dropped and counted.' },
    messageBytesMax: { type: 'integer', default: MEMBERSHIP_DEFAULTS.messageBytesMax, min: 1024, max: 1024 * 1024, doc: 'Bytes of one message\'s member updates, sent and accepted; a larger received one is dropped and counted.' },
    awarenessMax: { type: 'integer', default: MEMBERSHIP_DEFAULTS.awarenessMax, min: 1, max: 64, doc: 'Lifeguard local health: a node that sees itself slow multiplies its probe interval and timeout by up to this; 1 turns it off.' },
    viewPullIntervalMs: { type: 'integer', default: MEMBERSHIP_DEFAULTS.viewPullIntervalMs, min: 50, max: 600_000, doc: 'How often proxies, client libraries and the shard-master pull a node\'s whole gossip view (RC.VIEW), rotating over nodes; a fifth of it while a member is suspect. Below the suspicion timeout, so a kill -9 reaches the proxy soon after the nodes.' },
    viewStaleMs: { type: 'integer', default: MEMBERSHIP_DEFAULTS.viewStaleMs, min: 100, max: 3_600_000, doc: 'A pulled view older than this is not believed: every server counts as up again and local failure detection alone decides.' },
  },
  rebalance: {
    auto: { type: 'boolean', default: false, doc: 'The shard-master plans a rebalance by itself every rebalance.checkIntervalMs when max/mean server load exceeds 1 + imbalanceTolerancePercent/100, and hands the moves to the move executor (manual: POST /v1/rebalance).' },
    imbalanceTolerancePercent: { type: 'integer', default: 5, min: 0, max: 1000, doc: 'Load imbalance tolerated before the planner moves anything: it acts while the most loaded server (per unit of capacity) is above (1 + this/100) x the mean.' },
    moveBudgetBytesPerMin: { type: 'integer', default: 256 * MiB, min: 0, max: INT_MAX, doc: 'Replica bytes one planning round may move, per minute of rebalance.checkIntervalMs (leader reorders move no data and are always allowed); bounds the copy traffic a rebalance adds.' },
    checkIntervalMs: { type: 'integer', default: 60_000, min: 1000, max: 3_600_000, doc: 'How often automatic mode compares the imbalance with its tolerance.' },
    autoRequestsPerSecMin: { type: 'integer', default: 100, min: 0, max: INT_MAX, doc: 'Automatic mode acts only while the reported load is at least this many requests per second in all: below it, max/mean is noise from a handful of requests, and moving replicas for it is churn. Manual plans (POST /v1/rebalance) are not held back.' },
    loadReportIntervalMs: { type: 'integer', default: 1000, min: 0, max: 600_000, doc: 'How often each proxy and client library posts its per-vnode counts and hottest keys to the shard-master; 0: no reports.' },
    loadHalfLifeMs: { type: 'integer', default: 10_000, min: 100, max: 3_600_000, doc: "Half-life of the master's moving average of the reported load (EWMA): a load change is half seen after this long." },
    hotKeysMax: { type: 'integer', default: 64, min: 1, max: 4096, doc: 'Counters of the Space-Saving sketch in each reporter, and hot keys accepted per report: any key with more than 1/hotKeysMax of the requests is found.' },
    reportersMax: { type: 'integer', default: 256, min: 1, max: 65_536, doc: 'Reporters the master keeps load for at once (each costs about 24 bytes x V); a new one past it is refused (RC_ERR_OVERLOADED) until a silent one expires.' },
  },
  tls: {
    certFile: { type: 'string', default: '', doc: "PEM certificate (chain) this process shows, signed by tls.caFile; with tls.keyFile and tls.caFile set, the nodes' internode RESP ports, the nodes' and the master's HTTP ports and every client of them (nodes, proxies, the master, the client library, the CLI) speak TLS only. Its subjectAltName must name the host each role is reached at (master.host, nodes[].host). Empty: plain TCP. The proxy's client ports have their own (proxy.tlsCertFile)." },
    keyFile: { type: 'string', default: '', doc: 'PEM private key of tls.certFile; set all three tls files or none.' },
    caFile: { type: 'string', default: '', doc: "PEM certificate of the cluster CA: peers are verified against it and nothing else. The internode RESP ports accept only clients whose certificate it signed; the HTTP ports accept any client (the dashboard, /health, /metrics) and keep the cluster token for /v1." },
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
