/**
 * Internode requests encoded straight into a link's batch (resp-link.ts): the same bytes as
 * `encodeCommand(encodeInternodeRequest(envelope))` (internode-codec.ts has the grammar), without
 * an argument array, a string per integer and a Buffer per command.
 *
 *   *4\r\n$7\r\nRC.READ\r\n   <- written once per command name (HEADS), copied per request
 *   $1\r\n7\r\n               <- epoch, digits straight from the number (ReplyWriter.bulkDecimal)
 *   $3\r\n412\r\n             <- vnode
 *   $16\r\nuser:00000000042\r\n <- key bytes
 */
import { encodeCommand } from '../resp/index.js';
import type { ReplyWriter } from '../resp/index.js';
import { encodeContext, encodeVersioned } from '../version/index.js';
import { ARITY, INTERNODE_COMMANDS, putFlagsOf } from './internode-codec.js';
import type { InternodeKind } from './internode-codec.js';
import type { Envelope, InternodeRequest } from './messages.js';

function head(kind: InternodeKind): Buffer {
  // The array header and the name of a command with ARITY[kind] arguments, its name included.
  const frame = encodeCommand([INTERNODE_COMMANDS[kind]]);
  return Buffer.concat([Buffer.from(`*${String(ARITY[kind])}\r\n`), frame.subarray(frame.indexOf('$'))]);
}

const HEADS: Readonly<Record<InternodeKind, Buffer>> = Object.freeze({
  'coord-put': head('coord-put'),
  merge: head('merge'),
  read: head('read'),
  ping: head('ping'),
});

const EMPTY = Buffer.alloc(0);

/** The kinds this file writes by hand; every other kind goes through its codec (peer-codec.ts). */
export function isDataKind(kind: string): kind is InternodeKind {
  return Object.hasOwn(HEADS, kind);
}

/** A number as String() writes it; digits straight from the number in the usual case. */
function decimal(batch: ReplyWriter, value: number): void {
  // Anything else is not ours to refuse here: the node answers RC_ERR_PROTOCOL, as before.
  if (Number.isSafeInteger(value) && value >= 0) batch.bulkDecimal(value);
  else batch.bulkText(String(value));
}

export function writeInternodeRequest(batch: ReplyWriter, envelope: Envelope<InternodeRequest>): void {
  const body = envelope.body;
  batch.raw(HEADS[body.kind]);
  decimal(batch, envelope.epoch);
  switch (body.kind) {
    case 'read':
      decimal(batch, body.vnode);
      batch.bulk(body.key);
      return;
    case 'merge':
      decimal(batch, body.vnode);
      batch.bulk(body.key);
      batch.bulk(encodeVersioned(body.versioned));
      return;
    case 'coord-put':
      batch.bulkText(body.requestId);
      decimal(batch, body.vnode);
      batch.bulk(body.key);
      decimal(batch, putFlagsOf(body));
      batch.bulk(body.value ?? EMPTY);
      batch.bulk(body.context === null ? EMPTY : encodeContext(body.context));
      if (body.expiresAtMs === null) batch.bulk(EMPTY);
      else decimal(batch, body.expiresAtMs);
      return;
    case 'ping':
      return;
  }
}
