// Node identity: which node a log belongs to. Secrets are hashed with a per-node key (`<data>/node.key`),
// so a log and its key belong together: a log continued with another key would see every secret as
// rotated and recreate every app using one. The node's id names the key without revealing it; it is
// recorded in the store (meta!node) at the daemon's first start on the log, in every BootStarted, and in
// the export header. Everything about it is here: the key file, the id, the record in the store, the
// daemon's check of the key against the log, and an import's check of the export against the store.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Envelope } from '../core/events.js';
import { LogError } from './errors.js';
import type { ExportHeader } from './export-header.js';
import { META, metaOp, type BatchOp, type Subs } from './keys.js';
import { getMeta, putMeta } from './snapshot-store.js';
import type { EventStore } from './store.js';
import type { LogWriter } from './writer.js';

export const NODE_KEY_FILE = 'node.key';

/**
 * The node key, made on first use. With `create: false` a missing key is an error: a log already written
 * with a key must not get a new one silently (every secret would look rotated).
 */
export async function loadNodeKey(dataDir: string, opts: { create?: boolean } = {}): Promise<Buffer> {
  const file = path.join(dataDir, NODE_KEY_FILE);
  try {
    return await readFile(file);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || opts.create === false) {
      throw new Error(`cannot read node key: ${file}: ${(cause as Error).message}`, { cause });
    }
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async (cause: NodeJS.ErrnoException) => {
    if (cause.code !== 'EEXIST') throw cause;
  });
  return readFile(file);
}

/** The node key in `dataDir` as it is: rejects as `readFile` does when it cannot be read (never creates one). */
export function readNodeKey(dataDir: string): Promise<Buffer> {
  return readFile(path.join(dataDir, NODE_KEY_FILE));
}

/**
 * Which node a log belongs to: a short id derived from its node key. It names the key without
 * revealing it, so it can go into events and exports.
 */
export function nodeKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('podledger node identity').digest('hex').slice(0, 16);
}

/** The id of the node key in `dataDir`, or undefined when there is none (never creates one). */
export async function readNodeKeyId(dataDir: string): Promise<string | undefined> {
  try {
    return nodeKeyId(await readNodeKey(dataDir));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read node key: ${path.join(dataDir, NODE_KEY_FILE)}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * A log and a node key (or two logs) of different nodes were to be used together: a daemon on another
 * node's log, or an import of another node's export. Secret hashes are keyed per node, so mixing them
 * would make every secret look rotated.
 */
export class ForeignNodeError extends LogError {
  readonly code = 'FOREIGN_NODE';
  override readonly exit = 'invalid';
  constructor(
    readonly dir: string,
    /** the node the log in `dir` belongs to */
    readonly logNode: string,
    /** the other node: of the key found, or of the export; undefined when the key is missing */
    readonly otherNode: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static daemon(dir: string, logNode: string, keyNode: string | undefined): ForeignNodeError {
    const key = `${dir}/node.key`;
    return new ForeignNodeError(dir, logNode, keyNode, keyNode === undefined
      ? `daemon: ${dir}: the event log there was written by node ${logNode}, but ${key} is missing: put back that node's node.key `
        + '(with a new key every secret would look rotated and its apps would be recreated), or start on an empty --data'
      : `daemon: ${dir}: the event log there was written by node ${logNode}, but ${key} is the key of node ${keyNode}: `
        + 'this is another node\'s log (imported?) or the key was replaced; put back the node.key of node ' + logNode + ', or start on an empty --data');
  }

  static import(dir: string, logNode: string, exportNode: string, where: string): ForeignNodeError {
    return new ForeignNodeError(dir, logNode, exportNode,
      `import events: ${where}: the export is of node ${exportNode}, but ${dir} belongs to node ${logNode}: `
      + 'one log never mixes two nodes\' events (their secret hashes use different keys); import it into an empty --data to inspect it');
  }
}

/** The node the log belongs to (meta!node), once a daemon or an import recorded it. */
export function recordedNode(sub: Subs): Promise<string | undefined> {
  return getMeta<string>(sub, META.node);
}

/** Record the node the log belongs to. */
export function recordNode(w: LogWriter, id: string): Promise<void> {
  return putMeta(w, META.node, id);
}

/**
 * The daemon's node key: the key beside the store, made on the first start of an empty log, and its id,
 * recorded in the store on that start. Refused: another node's key, and a missing key for a log that
 * already names its node.
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

/**
 * The node of an import: the store's recorded node, else `keyNode` (of the key beside the store), else
 * the first the export names. The export's header and every BootStarted that names a node must name
 * that one. A store with no recorded node is claimed for it: `claim` gives the meta!node entry, once,
 * for the first batch that writes events.
 */
export class ImportNode {
  #node: string | undefined;
  #stamp: BatchOp[];

  private constructor(private readonly w: LogWriter, private readonly recorded: string | undefined, node: string | undefined) {
    this.#node = node;
    this.#stamp = node === undefined ? [] : this.#claimOps(node);
  }

  /** Refused: a header naming another node than the store's (or its key's). */
  static async of(w: LogWriter, keyNode: string | undefined, header: ExportHeader | undefined): Promise<ImportNode> {
    const recorded = await recordedNode(w.sub);
    let node = recorded ?? keyNode;
    if (header?.node !== undefined) {
      if (node !== undefined && header.node !== node) throw ForeignNodeError.import(w.dir, node, header.node, 'line 1 (the export header)');
      node = header.node;
    }
    return new ImportNode(w, recorded, node);
  }

  /** The error for an event on `line` that names another node (made when called), if it does; else the event may claim the store. */
  check(event: Envelope, line: number): (() => ForeignNodeError) | undefined {
    if (event.type !== 'BootStarted' || event.data.node === undefined) return undefined;
    const named = event.data.node;
    const node = this.#node;
    if (node !== undefined && named !== node) return () => ForeignNodeError.import(this.w.dir, node, named, `line ${line} (BootStarted #${event.seq})`);
    if (node === undefined) this.#stamp = this.#claimOps((this.#node = named));
    return undefined;
  }

  /** The meta!node entry still to write, if any: taken once. */
  claim(): BatchOp[] {
    return this.#stamp.splice(0);
  }

  #claimOps(id: string): BatchOp[] {
    return this.recorded === undefined ? [metaOp(this.w.sub, META.node, id)] : [];
  }
}
