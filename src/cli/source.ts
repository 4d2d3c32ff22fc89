// Where offline commands read the log from: an NDJSON export (`--log`), the db in `--data`, or — when
// a running daemon holds that db's lock — the daemon's control socket. Each source reads the whole log
// (`items`) and reads by index and by seq (`lookup`: the store's indexes, the socket's matching
// endpoints, or one filtering pass over the export per read).
import { PodledgerError } from '../core/errors.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initialState, type State } from '../core/state.js';
import type { OnCorrupt } from '../log/collect.js';
import { DbLockedError } from '../log/errors.js';
import { ndjsonLookup, readExportHeader, readNdjson, readNdjsonBatches } from '../log/ndjson.js';
import { readNodeKeyId } from '../log/node-identity.js';
import type { EventLookup, ReadItem, ReadOptions } from '../log/reader.js';
import { checkedText, checkedView } from '../log/why-view.js';
import type { Compaction } from '../log/store.js';
import { checkLogFile, guardedLogBatches, guardedLogItems } from './input-file.js';

export class NoLogError extends PodledgerError {
  readonly exit = 'invalid';
  constructor(readonly dir: string) {
    super(`read event log: ${dir}: no podledger data here; pass --data DIR of a node, or --log FILE.ndjson from 'podledger export'`);
    this.name = 'NoLogError';
  }
}

export interface LogSource {
  /** the whole log, in seq order */
  items: AsyncIterable<ReadItem>;
  /**
   * The same, a batch at a time: whole reads (collect, fold) take this, as an async step per event
   * cost more than decoding it (docs/benchmarks.md, replay --log). Read `items` or `batches`, not both.
   */
  batches: AsyncIterable<readonly ReadItem[]>;
  lookup: EventLookup;
  /** where the events come from, for messages */
  origin: string;
  /**
   * Set when the log was compacted: seqs at or below `compaction.through` that are not in `kept` were
   * removed on purpose, and `base` is the state folded from everything up to the cut. A fold of the log
   * starts from `base` and skips the kept events at or below `base.seq` (they are in it already).
   */
  compaction?: Compaction;
  base?: { seq: number; state: State };
  /** the node the log belongs to (see ../log/node-identity.ts), when known */
  node?: string;
  close(): Promise<void>;
}

/** Reading the whole of a compacted log prints this note once on stderr (`export`, `replay`, ...). */
export function compactionNote(c: Compaction): string {
  return `podledger: note: this log was compacted through #${c.through} (${new Date(c.at).toISOString()}): `
    + `${c.removed} events at or before it were removed on purpose and ${c.kept.length} kept (the why history of the containers that existed); `
    + `the state they built is kept as the snapshot at #${c.through}, so these events alone do not fold to the node's state\n`;
}

export async function openLog(opts: { log?: string; data: string; notice?: (text: string) => void }): Promise<LogSource> {
  const notice = opts.notice ?? ((text: string) => void process.stderr.write(text));
  if (opts.log) await checkLogFile(opts.log);
  if (opts.log) return exportSource(opts.log, notice);
  // Reading never creates a db: a folder without one (no LevelDB CURRENT file) holds no log.
  if (!existsSync(path.join(opts.data, 'CURRENT'))) throw new NoLogError(opts.data);
  try {
    // level and the control client are loaded only by a read of a data dir (start-up of --log reads)
    const { EventStore } = await import('../log/store.js');
    const store = await EventStore.open(opts.data, {}, (text) => notice(`podledger: ${opts.data}: ${text}\n`));
    const compaction = store.compaction;
    const node = (await store.node()) ?? (await readNodeKeyId(opts.data));
    const batches = noted(store.readBatches(), compaction, notice);
    return {
      items: flat(batches),
      batches,
      lookup: store,
      origin: opts.data,
      // the fold (snapshots.ts hashes a state) is loaded only for a compacted log: readers by index never fold
      ...(compaction ? { compaction, base: await (await import('../log/snapshots.js')).historyBase(store) } : {}),
      ...(node ? { node } : {}),
      close: () => store.close(),
    };
  } catch (err) {
    if (!(err instanceof DbLockedError)) throw err;
    const { ControlHttpError, controlGetJson, controlItems, controlSocketPath } = await import('../daemon/control.js');
    const socket = controlSocketPath(opts.data);
    type Info = { compaction?: Compaction; base?: { seq: number; state: State }; node?: string };
    const info = await controlGetJson<Info>(socket, '/compaction').catch((e: unknown): Info => {
      if (e instanceof ControlHttpError) return {}; // a daemon answers, of a version before compaction
      throw err; // no daemon answers either: the lock error says how to proceed
    });
    const items = noted(controlItems(socket, '/events'), info.compaction, notice);
    return {
      items,
      batches: single(items),
      lookup: socketLookup(socket, controlItems, controlGetJson),
      origin: `daemon at ${socket}`,
      ...(info.compaction && info.base ? { compaction: info.compaction, base: info.base } : {}),
      ...(info.node ? { node: info.node } : {}),
      close: async () => {},
    };
  }
}

/** An export: its events, and what its header says (node; for a compacted log, the cut and the state at it). */
async function exportSource(file: string, notice: (text: string) => void): Promise<LogSource> {
  const header = await readExportHeader(file);
  const compaction = header?.compaction;
  let base: LogSource['base'];
  if (compaction && header.snapshot) {
    const { checkSnapshot } = await import('../log/snapshots.js');
    const check = checkSnapshot(compaction.through, JSON.stringify(header.snapshot));
    if (!check.ok) notice(`podledger: note: ${file}: the state at the compaction's cut is used although ${check.reason}: the events before the cut are not in the export\n`);
    base = { seq: compaction.through, state: header.snapshot.state };
  }
  // every whole read is watched: a file most of whose lines are not events is refused at its end
  const read = (f: string) => guardedLogItems(f, readNdjson(f));
  const batches = noted(guardedLogBatches(file, readNdjsonBatches(file)), compaction, notice);
  return {
    items: flat(batches),
    batches,
    lookup: ndjsonLookup(file, read),
    origin: file,
    ...(compaction && base ? { compaction, base } : {}),
    ...(header?.node ? { node: header.node } : {}),
    close: async () => {},
  };
}

async function* noted<T>(items: AsyncIterable<T>, compaction: Compaction | undefined, notice: (text: string) => void): AsyncGenerator<T> {
  if (compaction) notice(compactionNote(compaction));
  yield* items;
}

async function* flat(batches: AsyncIterable<readonly ReadItem[]>): AsyncGenerator<ReadItem> {
  for await (const batch of batches) yield* batch;
}

async function* single(items: AsyncIterable<ReadItem>): AsyncGenerator<readonly ReadItem[]> {
  for await (const item of items) yield [item];
}

/**
 * The whole log folded as it is read, from the compaction's base when there is one: what a plain
 * `replay` needs (the state, how many events, the last one's time) without holding every event, whose
 * retention cost more GC than decoding them (docs/benchmarks.md, replay --log). Undecodable records go
 * to `onCorrupt`, as with `collect`; the state is `fold(events.filter(e => e.seq > base.seq), base)`.
 */
export async function foldLog(opts: { log?: string; data: string }, onCorrupt: OnCorrupt): Promise<{ state: State; events: number; lastAt: number | undefined }> {
  const source = await openLog(opts);
  try {
    let events = 0;
    let lastAt: number | undefined;
    const counted = async function* (batches: AsyncIterable<readonly ReadItem[]>) {
      for await (const batch of batches) {
        for (const item of batch) {
          if (!item.ok) continue;
          events += 1;
          lastAt = item.event.at;
        }
        yield batch;
      }
    };
    const { foldItems } = await import('../log/fold.js');
    const state = await foldItems(counted(source.batches), onCorrupt, Infinity, source.base?.state ?? initialState);
    return { state, events, lastAt };
  } finally {
    await source.close();
  }
}

/** The running daemon's live projection, if one serves this data dir. */
export async function daemonState(data: string): Promise<{ seq: number; stateHash: string; state: State } | undefined> {
  const { controlGetJson, controlSocketPath } = await import('../daemon/control.js');
  const socket = controlSocketPath(data);
  if (!existsSync(socket)) return undefined;
  try {
    return await controlGetJson<{ seq: number; stateHash: string; state: State }>(socket, '/state');
  } catch {
    return undefined;
  }
}

/**
 * The control socket's reads: `/events` with the read's options, `/events?seq=…` for records by seq,
 * `/why-kept` for `why --all`'s kept entries (none from a daemon that does not keep them, or says
 * something they are not).
 */
function socketLookup(
  socket: string, controlItems: (socket: string, path: string) => AsyncIterable<ReadItem>, controlGetJson: (socket: string, path: string) => Promise<unknown>,
): EventLookup {
  const kept = (app: string, text: boolean) => controlGetJson(socket, `/why-kept?app=${encodeURIComponent(app)}${text ? '&text=1' : ''}`).catch(() => undefined);
  return {
    read: (o) => controlItems(socket, `/events?${queryOf(o)}`),
    async getMany(seqs) {
      const found = new Map<number, ReadItem>();
      for (let i = 0; i < seqs.length; i += 500) { // keeps the URL short
        for await (const item of controlItems(socket, `/events?seq=${seqs.slice(i, i + 500).join(',')}`)) found.set(item.ok ? item.event.seq : item.seq, item);
      }
      return seqs.map((s) => found.get(s));
    },
    whyView: async (app) => checkedView(await kept(app, false), app),
    whyText: async (app) => checkedText(await kept(app, true)),
  };
}

export function queryOf(o: ReadOptions & { follow?: boolean }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v));
  return q.toString();
}
