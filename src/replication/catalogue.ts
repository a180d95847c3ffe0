import { HINT_MESSAGES } from '../hinted-handoff/index.js';
import { DATA_MESSAGES, MessageCatalogue } from '../transport/index.js';

/**
 * The peer message kinds a coordinator (proxy, client library) sends: the data kinds, and hints
 * and sloppy reads to fallbacks. Its TcpTransport encodes requests and decodes replies with it.
 */
export function coordinatorCatalogue(): MessageCatalogue {
  return MessageCatalogue.of(DATA_MESSAGES, HINT_MESSAGES);
}
