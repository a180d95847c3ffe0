import type { RingcacheConfig } from '../config/schema.js';
import type { RoutingTable, ServerId } from '../ring/index.js';
import type { Clock, Logger, Random, Startable } from '../runtime/index.js';
import type { StorageEngine } from '../storage/index.js';
import type { PeerKind, ReplyOf, RequestOf, Transport } from '../transport/index.js';
import type { Actor } from '../version/index.js';
import type { PeerStatusBoard } from './peer-status.js';
import type { RecoveryState } from './recovery.js';
import type { PeerInputCheck } from './validate.js';

/**
 * What a storage node's services are built from (js-libp2p's `Components`): narrow deps, the same
 * in the process and in the simulator. A service is a NodeServiceFactory over this context.
 */
export interface NodeContext {
  readonly serverId: ServerId;
  /** This incarnation's actor (actor.ts). */
  readonly actor: Actor;
  readonly clock: Clock;
  readonly random: Random;
  /** Outbound requests to peers, by server id (TCP in a process, the simulated network in the simulator). */
  readonly transport: Transport;
  readonly engine: StorageEngine;
  readonly table: NodeTableView;
  readonly logger: Logger;
  readonly config: RingcacheConfig;
  /** How this node sees its peers: membership writes it, the rest read it. */
  readonly peers: PeerStatusBoard;
  /** Whether this node is still catching up after starting empty: anti-entropy writes it. */
  readonly recovery: RecoveryState;
  /** The checks a peer message passes before it touches the store (validate.ts): one for the node. */
  readonly peerInput: PeerInputCheck;
}

/**
 * The table as a node sees it. A node serves before it has a table (coordinators name the vnode
 * in every request), so `current()` may be undefined; services that need rows wait for one.
 */
export interface NodeTableView {
  current(): RoutingTable | undefined;
  /** The epoch this node knows (0 before it has a table). */
  epoch(): number;
  /** A peer showed a newer epoch: fetch the table. */
  observeEpoch(epoch: number): void;
  /** Hears each new table; returns the function that unsubscribes. Optional: a fixed table never changes. */
  onChange?(listener: (table: RoutingTable) => void): () => void;
}

/** Answers one kind; the node wraps the reply in an envelope with its epoch. Throwing a RingcacheError sends it back. */
export type PeerHandler<K extends PeerKind> = (request: RequestOf<K>, epoch: number) => ReplyOf<K> | Promise<ReplyOf<K>>;
export type PeerHandlers = { readonly [K in PeerKind]?: PeerHandler<K> };

/** A figure a service keeps, exported by the process as a Prometheus metric (NodeMetrics). */
export interface MetricSource {
  /** Without the `ringcache_node_` prefix, with its unit: `hints_bytes`, `gossip_rounds_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  /** One unlabelled value, or values by one label. */
  readonly label?: string;
  read(): number | Iterable<readonly [string, number]>;
}

/** A long-lived part of a node: gossip, hint replay, anti-entropy, the sweeper. */
export interface PeerService extends Startable {
  readonly name: string;
  /** The peer message kinds it answers; each kind has one handler in a node. */
  readonly handlers?: PeerHandlers;
  /** Its figures, for /metrics. */
  metrics?(): readonly MetricSource[];
}

export type NodeServiceFactory = (context: NodeContext) => PeerService;
