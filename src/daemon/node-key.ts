// The daemon's node key, checked against the node its log was written by. Secrets are hashed with the
// key, so a log continued with another key would see every secret as rotated and recreate its apps.
import { ForeignNodeError } from '../log/errors.js';
import type { EventStore } from '../log/store.js';
import { loadNodeKey, nodeKeyId, readNodeKeyId } from '../host/secrets.js';

/**
 * The key beside the store, made on the first start of an empty log, and its id, recorded in the store
 * on that start. Refused: another node's key, and a missing key for a log that already names its node.
 */
export async function nodeKeyFor(store: EventStore, dataDir: string): Promise<{ key: Buffer; id: string }> {
  const recorded = await store.node();
  const found = await readNodeKeyId(dataDir);
  if (recorded !== undefined && found !== recorded) throw ForeignNodeError.daemon(dataDir, recorded, found);
  const key = await loadNodeKey(dataDir);
  const id = nodeKeyId(key);
  if (recorded === undefined) await store.setNode(id);
  return { key, id };
}
