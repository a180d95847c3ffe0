import { RingcacheError, isRingcacheError } from '../runtime/errors.js';
import type { ServerId } from '../ring/table.js';
import type { InternodeReply } from '../transport/messages.js';
import type { Versioned } from '../version/types.js';

/** Failures that say nothing about the request itself, only about reaching the replica. */
export function isTransportFailure(error: unknown): boolean {
  return isRingcacheError(error, 'RC_ERR_TIMEOUT') || isRingcacheError(error, 'RC_ERR_UNREACHABLE')
    || isRingcacheError(error, 'RC_ERR_OVERLOADED') || isRingcacheError(error, 'RC_ERR_SHUTTING_DOWN');
}

/** `asked`: the replicas of the row and the fallbacks a hint went to. */
export function writeQuorumError(acks: number, w: number, asked: number, failures: readonly string[]): RingcacheError {
  return new RingcacheError(
    'RC_ERR_QUORUM_WRITE',
    `write acknowledged by ${String(acks)} of ${String(w)} required replicas (w=${String(w)}, ${String(failures.length)} of ${String(asked)} failed); see replication.w`,
    { acks, w, failures },
  );
}

/** PW unmet: W may be, but fewer replicas of the row (not fallbacks) acknowledged than asked. */
export function primaryQuorumError(primaries: number, pw: number, acks: number, failures: readonly string[]): RingcacheError {
  return new RingcacheError(
    'RC_ERR_QUORUM_WRITE',
    `write acknowledged by ${String(primaries)} of ${String(pw)} required primaries (pw=${String(pw)}, ${String(acks)} acks in all, fallbacks included); see replication.pw`,
    { primaries, pw, acks, failures },
  );
}

/**
 * Raised as soon as R answers can no longer arrive, so a replica may still be answering.
 * `asked`: the replicas of the row and the fallbacks asked.
 */
export function readQuorumError(replies: number, r: number, asked: number, failures: readonly string[]): RingcacheError {
  return new RingcacheError(
    'RC_ERR_QUORUM_READ',
    `read answered by ${String(replies)} of ${String(r)} required replicas (r=${String(r)}, ${String(failures.length)} of ${String(asked)} failed); see replication.r`,
    { replies, r, failures },
  );
}

export function unexpectedReply(reply: InternodeReply, server: ServerId, expected: InternodeReply['kind']): RingcacheError {
  return new RingcacheError('RC_ERR_INTERNAL', `${server} answered '${reply.kind}' where '${expected}' was expected`);
}

export function expectVersioned(reply: InternodeReply, server: ServerId): Versioned | null {
  if (reply.kind !== 'versioned') throw unexpectedReply(reply, server, 'versioned');
  return reply.versioned;
}

/** One line of a quorum error's list of failures. */
export function describeFailure(server: ServerId, error: unknown): string {
  return `${server}: ${error instanceof Error ? error.message : 'failed'}`;
}

const NODE_EPOCH = /\bnode epoch (\d{1,15})\b/;

/**
 * The node epoch a fencing refusal (src/node/fencing.ts) carries, or undefined for any other
 * error. The wire keeps only a code and a message, so the epoch is read from `node epoch E`.
 */
export function fencedEpoch(error: unknown): number | undefined {
  if (!isRingcacheError(error, 'RC_ERR_STALE_EPOCH') && !isRingcacheError(error, 'RC_ERR_NOT_OWNER')) return undefined;
  const detail = error.details.epoch;
  if (typeof detail === 'number') return detail;
  const match = NODE_EPOCH.exec(error.message);
  return match === null ? undefined : Number(match[1]);
}
