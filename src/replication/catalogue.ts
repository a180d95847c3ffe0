import { HINT_MESSAGES } from '../hinted-handoff/index.js';
// Not the transport's index: it brings the TCP transport and ioredis (see hint-messages.ts).
import { DATA_MESSAGES } from '../transport/data-messages.js';
import { MessageCatalogue } from '../transport/peer-message.js';

/**
 * The peer message kinds a coordinator (proxy, client library) sends: the data kinds, and hints
 * and sloppy reads to fallbacks. Its TcpTransport encodes requests and decodes replies with it.
 */
export function coordinatorCatalogue(): MessageCatalogue {
  return MessageCatalogue.of(DATA_MESSAGES, HINT_MESSAGES);
}
