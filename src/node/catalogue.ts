import { DATATYPE_MESSAGES } from '../datatypes/index.js';
import { ANTI_ENTROPY_MESSAGES } from '../anti-entropy/index.js';
import { DATA_MESSAGES, MessageCatalogue } from '../transport/index.js';
import { MEMBERSHIP_MESSAGES } from '../membership/index.js';
import { HINT_MESSAGES } from '../hinted-handoff/index.js';
import { KEYSPACE_MESSAGES } from '../keyspace/index.js';

/**
 * Every peer message kind a storage node speaks, gathered from the folders that own them. A new
 * folder's kinds are one more list here and one more factory in services.ts.
 */
export function nodeCatalogue(): MessageCatalogue {
  return MessageCatalogue.of(DATA_MESSAGES, MEMBERSHIP_MESSAGES, ANTI_ENTROPY_MESSAGES, DATATYPE_MESSAGES, HINT_MESSAGES, KEYSPACE_MESSAGES);
}
