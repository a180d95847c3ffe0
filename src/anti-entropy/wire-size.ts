/**
 * Bytes an anti-entropy message takes on the wire as RESP, computed from what the codec would
 * write without writing it: the exchange counts its traffic the same way in the simulator (which
 * passes objects) and over TCP. Tested against the RESP encoder (test/unit/anti-entropy-codec.test.ts).
 *
 *   command  *<argc>\r\n  then per argument  $<length>\r\n<bytes>\r\n
 *   reply    *<items>\r\n  :<integer>\r\n  $<length>\r\n<bytes>\r\n
 */
import type { ReplyValue } from '../resp/index.js';
import type { MessageCatalogue, PeerKind, ReplyOf, RequestOf } from '../transport/index.js';

function decimalLength(value: number): number {
  return String(value).length;
}

function bulkBytes(length: number): number {
  return 1 + decimalLength(length) + 2 + length + 2;
}

/** A request of `kind` with its command name and epoch. */
export function requestWireBytes<K extends PeerKind>(catalogue: MessageCatalogue, kind: K, epoch: number, body: RequestOf<K>): number {
  const codec = catalogue.ofKind(kind);
  const args = codec.encodeRequest(body);
  let total = 1 + decimalLength(args.length + 2) + 2 + bulkBytes(codec.command.length) + bulkBytes(decimalLength(epoch));
  for (const value of args) total += bulkBytes(typeof value === 'string' ? Buffer.byteLength(value) : value.length);
  return total;
}

/** The reply of `kind` as the codec encodes it. */
export function replyWireBytes<K extends PeerKind>(catalogue: MessageCatalogue, kind: K, epoch: number, body: ReplyOf<K>): number {
  return replyValueBytes(catalogue.ofKind(kind).encodeReply(epoch, body));
}

export function replyValueBytes(value: ReplyValue): number {
  switch (value.kind) {
    case 'simple': return 1 + Buffer.byteLength(value.text) + 2;
    case 'error': return 1 + Buffer.byteLength(value.message) + 2;
    case 'integer': return 1 + decimalLength(value.value) + 2;
    case 'bulk':
      if (value.value === null) return 5;
      return bulkBytes(typeof value.value === 'string' ? Buffer.byteLength(value.value) : value.value.length);
    case 'array': {
      if (value.items === null) return 5;
      let total = 1 + decimalLength(value.items.length) + 2;
      for (const item of value.items) total += replyValueBytes(item);
      return total;
    }
    case 'raw': return value.bytes.length;
  }
}
