/**
 * What the initiator (exchange.ts) and the responder (responder.ts) of an exchange share: the
 * node's narrow deps, the trees, the counters, and the limits every message is held to.
 */
import type { RingcacheConfig } from '../config/schema.js';
import type { NodeTableView } from '../node/peer-service.js';
import type { PeerInputCheck } from '../node/validate.js';
import type { RecoveryState } from '../node/recovery.js';
import type { RoutingTable, ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { Clock, Random } from '../runtime/index.js';
import type { StorageEngine } from '../storage/index.js';
import type { MessageCatalogue, Transport } from '../transport/index.js';
import type { VersionLimits } from '../version/index.js';
import { VERSION_DEFAULTS } from '../version/index.js';
import { FAN_OUT, leafCount } from './merkle-tree.js';
import type { AntiEntropyOptions } from './options.js';
import { LISTED_KEY_BYTES_MIN, WANTED_BYTES_MAX } from './payload.js';
import type { AntiEntropyStats, DropReason } from './stats.js';
import type { VnodeTrees } from './vnode-trees.js';

export interface ExchangeLimits {
  readonly messageBytesMax: number;
  readonly keysPerRoundMax: number;
  readonly bytesPerRoundMax: number;
  readonly requestTimeoutMs: number;
  readonly keyBytesMax: number;
  readonly vnodeCount: number;
  readonly version: VersionLimits;
  /** storage.tombstoneGraceMs: a state dead for longer is about to be collected, so it is not sent. */
  readonly tombstoneGraceMs: number;
  /** Vnodes one RC.AE.ROOT may carry (9 bytes each at most, and their verdicts up to 1 + 4 x 8). */
  readonly rootsPerMessageMax: number;
  /** Nodes one RC.AE.NODES may list, by digest width: their children's digests fill a message. */
  readonly nodesPerMessageMax: { readonly 3: number; readonly 8: number };
  readonly leavesPerMessageMax: number;
  /** Keys one listing may carry (at least LISTED_KEY_BYTES_MIN each). */
  readonly listingKeysMax: number;
  readonly wantedPerMessageMax: number;
  /** States in one RC.AE.SYNC payload; the smallest encoded state is about 8 bytes. */
  readonly statesPerMessageMax: number;
}

export function exchangeLimitsOf(config: RingcacheConfig, options: AntiEntropyOptions, leavesPerVnode: number): ExchangeLimits {
  const message = options.messageBytesMax;
  return Object.freeze({
    messageBytesMax: message,
    keysPerRoundMax: options.keysPerRoundMax,
    bytesPerRoundMax: options.bytesPerRoundMax,
    requestTimeoutMs: options.requestTimeoutMs,
    keyBytesMax: config.limits.keyBytesMax,
    vnodeCount: config.cluster.vnodeCount,
    version: Object.freeze({
      siblingsMax: config.limits.siblingsMax,
      contextEntriesMax: config.limits.contextEntriesMax,
      actorBytesMax: VERSION_DEFAULTS.actorBytesMax,
      valueBytesMax: config.limits.valueBytesMax,
      collectionElementsMax: config.limits.collectionElementsMax,
      memberBytesMax: config.limits.memberBytesMax,
    }),
    tombstoneGraceMs: config.storage.tombstoneGraceMs,
    rootsPerMessageMax: Math.max(1, Math.min(config.cluster.vnodeCount, Math.floor(message / (1 + FAN_OUT * 8)))),
    nodesPerMessageMax: Object.freeze({ 3: Math.max(1, Math.floor(message / (FAN_OUT * 3))), 8: Math.max(1, Math.floor(message / (FAN_OUT * 8))) }),
    // A leaf index costs at most 3 bytes in a request; the reply is what fills up (a listed prefix).
    leavesPerMessageMax: Math.max(1, Math.min(leavesPerVnode, Math.floor(message / 16))),
    listingKeysMax: Math.max(1, Math.floor(message / LISTED_KEY_BYTES_MIN)),
    wantedPerMessageMax: Math.max(1, Math.floor(message / WANTED_BYTES_MAX)),
    statesPerMessageMax: Math.max(1, Math.floor(message / 8)),
  });
}

export interface ExchangeParts {
  readonly serverId: ServerId;
  readonly engine: StorageEngine;
  readonly table: NodeTableView;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly recovery: RecoveryState;
  readonly trees: VnodeTrees;
  readonly stats: AntiEntropyStats;
  readonly limits: ExchangeLimits;
  readonly catalogue: MessageCatalogue;
  /** The node's bounds on the counters of a state (validate.ts), applied before a state is merged. */
  readonly peerInput: PeerInputCheck;
}

/** Whether `server` keeps every vnode of `vnodes` under `table`: a replica of its row or its pending target. */
export function holdsAll(table: RoutingTable, server: ServerId, vnodes: Iterable<number>): boolean {
  for (const vnode of vnodes) if (!holds(table, server, vnode)) return false;
  return true;
}

/** Whether `server` keeps vnode `vnode` under `table`: a replica of the row or its pending target. */
export function holds(table: RoutingTable, server: ServerId, vnode: number): boolean {
  const row = table.row(vnode);
  return row.replicas.includes(server) || row.pending?.to === server;
}

/** The other servers that keep a vnode, in row order (the pending target last). */
export function otherHolders(table: RoutingTable, self: ServerId, vnode: number): ServerId[] {
  const row = table.row(vnode);
  const others = row.replicas.filter((server) => server !== self);
  const target = row.pending?.to;
  if (target !== undefined && target !== self && !others.includes(target)) others.push(target);
  return others;
}

export function leavesOf(parts: ExchangeParts): number {
  return leafCount(parts.trees.shape);
}

/** A refused message: counted by reason, answered (or failed) with a coded error; nothing applied. */
export function refuse(stats: AntiEntropyStats, reason: DropReason, error: RingcacheError): never {
  stats.dropped[reason]++;
  throw error;
}
