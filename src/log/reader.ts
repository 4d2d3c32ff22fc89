// Reading the log: in seq order or through an index, by seq, and the boots. Records are parsed and
// decoded one by one, so a corrupt one is an `{ok: false}` item, never the end of a read.
//
// Gaps: seqs are gapless from 1, except below a compaction's `through`, where every seq not in its
// `kept` list was removed on purpose. A full read reports a gap above `through` as an `{ok: false}`
// item (a record lost), never one below it.
//
// Also here: the reader interface (`EventLookup`) that `why` reads through, which the store, the daemon's
// control socket and a scanned export implement, and the one check and parser of read options, shared
// with the control socket's `/events` query.
import { decodeOwned } from '../core/events.js';
import type { Envelope } from '../core/events.js';
import type { OnCorrupt } from './fold.js';
import {
  HWM, INDEXED_TYPES, READ_CHUNK, bootRecord, indexRange, indexedSeqKey, isIndexedType, pad, type BootRecord, type IndexedType, type Sub, type Subs,
} from './keys.js';
import type { Compaction } from './compaction.js';
import type { WhyText, WhyView } from './why-view.js';

/** The chunk size of an index read from which the next chunk is read while this one is decoded. */
const READ_AHEAD_FROM = 256;

/**
 * An iterator's entries a chunk at a time, from `first` entries growing ×4 to READ_CHUNK. From a
 * chunk of READ_AHEAD_FROM on, the next is asked for before this one is handed over, so LevelDB reads
 * (on libuv's pool) while this thread decodes: the main thread waited on each read, a third of a
 * store's replay and ~100 ms of a long index read (docs/benchmarks.md, storereplay and why3). A reader
 * that stops leaves at most one chunk read for nothing; the iterator's `close` waits for it.
 */
async function* chunks(it: { nextv(size: number): Promise<[string, string][]> }, first: number): AsyncGenerator<[string, string][]> {
  let ahead: Promise<[string, string][]> | undefined;
  for (let size = first, entries = await it.nextv(size); entries.length > 0; entries = await (ahead ?? it.nextv(size))) {
    size = Math.min(READ_CHUNK, size * 4);
    ahead = size >= READ_AHEAD_FROM ? it.nextv(size) : undefined;
    ahead?.catch(() => {}); // its failure is met where it is awaited; until then it is no unhandled rejection
    yield entries;
  }
}

/** One record as read; `line` is its line in an NDJSON export (where errors are reported by line). */
export type ReadItem = ({ ok: true; event: Envelope } | { ok: false; seq: number; reason: string }) & { line?: number };

export type ReadOptions = {
  /** exclusive lower bound */
  since?: number;
  /** inclusive upper bound */
  until?: number;
  /** at most one of app, correlation, type: read through that index */
  app?: string;
  correlation?: string;
  type?: IndexedType;
  boot?: number;
  /** newest first */
  reverse?: boolean;
};

/** Where the events come from: the store itself, the daemon's control socket, or a scanned export. */
export interface EventLookup {
  read(opts: ReadOptions): AsyncIterable<ReadItem>;
  /** `read` a batch at a time, where the source reads in batches (the store): no async step per record */
  readBatches?(opts: ReadOptions): AsyncIterable<readonly ReadItem[]>;
  /**
   * `readBatches` through an index, decoding only the records `decodeNow` takes, by their type as their
   * text shows it (`typeOfText`; undefined when it does not settle it): the others come as `PassedOver`,
   * decoded only if asked. For readers that look at some records and follow links to the rest
   * (`why --all`: half of an app's records are looked at only as links, a third never).
   */
  readLazily?(opts: IndexRead, decodeNow: (type: string | undefined) => boolean): AsyncIterable<readonly (ReadItem | PassedOver)[]>;
  /** records by seq; those the log does not hold are left out */
  getMany(seqs: readonly number[]): Promise<(ReadItem | undefined)[]>;
  /** for each query, the latest HostFactsObserved before `seq` that changed each name; default: read ix-type backwards */
  previousFacts?(queries: readonly FactQuery[], onCorrupt: OnCorrupt): Promise<Envelope[]>;
  /** `why --all`'s entries kept for the app (why-view.ts), where the source keeps them */
  whyView?(app: string): Promise<WhyView | undefined>;
  /** the texts of those entries, as `why --all` prints them, where the source keeps them */
  whyText?(app: string): Promise<WhyText | undefined>;
}

/** A read through ix-app or ix-type (the covering indexes) */
export type IndexRead = Pick<ReadOptions, 'since' | 'until' | 'reverse'> & ({ app: string } | { type: IndexedType });

export interface FactQuery {
  seq: number;
  names: readonly string[];
}

/** Whether an event is one a read with these options yields, leaving out its seq bounds. */
export function matchesRead(e: Envelope, o: ReadOptions): boolean {
  return (o.app === undefined || e.app === o.app) && (o.correlation === undefined || e.correlation === o.correlation)
    && (o.type === undefined || e.type === o.type) && (o.boot === undefined || e.boot === o.boot);
}

/** What makes read options unreadable (the store throws it, the control socket answers 400 with it), if anything. */
export function readOptionsProblem(o: { app?: unknown; correlation?: unknown; type?: unknown }): string | undefined {
  if ([o.app, o.correlation, o.type].filter((x) => x !== undefined).length > 1) return 'give at most one of app, correlation, type';
  if (o.type !== undefined && !isIndexedType(o.type)) return `type ${String(o.type)} has no index; indexed are ${INDEXED_TYPES.join(', ')}`;
  return undefined;
}

/** Read options from their text form (a control socket query: since, until, boot, app, correlation, type, reverse=1), or what is wrong with them. */
export function parseReadOptions(params: { get(name: string): string | null }): ReadOptions | string {
  const read: ReadOptions = {};
  for (const name of ['since', 'until', 'boot'] as const) {
    const text = params.get(name);
    if (text === null) continue;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) return `${name} must be a whole number, got '${text}'`;
    read[name] = n;
  }
  const app = params.get('app') ?? undefined;
  const correlation = params.get('correlation') ?? undefined;
  const type = params.get('type') ?? undefined;
  const problem = readOptionsProblem({ app, correlation, type });
  if (problem) return problem;
  if (app !== undefined) read.app = app;
  if (correlation !== undefined) read.correlation = correlation;
  if (type !== undefined) read.type = type as IndexedType;
  if (params.get('reverse') === '1') read.reverse = true;
  return read;
}

/** What a reader needs of the writer (writer.ts): the layout, where the log ends, and its reopens. */
export interface ReadSide {
  readonly sub: Subs;
  readonly lastSeq: number;
  readonly compaction: Compaction | undefined;
  /** changes with every reopen */
  readonly epoch: number;
  /** settles once a reopen in progress is over */
  readonly reopening: Promise<unknown>;
}

export class LogReader implements EventLookup {
  constructor(private readonly log: ReadSide) {}

  /**
   * Events in seq order (newest first with `reverse`); a record that cannot be parsed or decoded comes
   * as `{ok: false}`, never skipped, and so does a gap in a full forward read (except seqs a compaction removed).
   */
  async *read(opts: ReadOptions = {}): AsyncGenerator<ReadItem> {
    for await (const batch of this.readBatches(opts)) yield* batch;
  }

  /**
   * `read`, a batch at a time (the records of one LevelDB `nextv`): the same items in the same order,
   * for readers of many records (folds) that need not pay an async step per record.
   */
  readBatches(opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
    return this.#batches(opts) as AsyncGenerator<ReadItem[]>; // without `types` nothing is passed over
  }

  readLazily(opts: IndexRead, decodeNow: (type: string | undefined) => boolean): AsyncGenerator<(ReadItem | PassedOver)[]> {
    return this.#batches(opts, decodeNow);
  }

  async *#batches(opts: ReadOptions, decodeNow?: (type: string | undefined) => boolean): AsyncGenerator<(ReadItem | PassedOver)[]> {
    // A reopen after a failed write (see writer.ts) closes the iterators of readers in flight: they
    // resume after the last record they yielded, so a reader never notices.
    let last: number | undefined;
    for (;;) {
      await this.log.reopening;
      const epoch = this.log.epoch;
      const resumed = last === undefined ? opts : opts.reverse ? { ...opts, until: last - 1 } : { ...opts, since: last };
      try {
        for await (const batch of this.#readOnce(resumed, decodeNow)) {
          for (const item of batch) last = item instanceof PassedOver ? item.seq : item.ok ? item.event.seq : item.seq || last;
          yield batch;
        }
        return;
      } catch (err) {
        if (this.log.epoch === epoch) throw err;
      }
    }
  }

  async *#readOnce(opts: ReadOptions, decodeNow?: (type: string | undefined) => boolean): AsyncGenerator<(ReadItem | PassedOver)[]> {
    const sub = this.log.sub;
    let since = opts.since ?? 0;
    let until = opts.until ?? Number.MAX_SAFE_INTEGER;
    if (opts.boot !== undefined) {
      const raw = await sub.boots.get(pad(opts.boot));
      if (raw === undefined) return;
      const b = bootRecord(pad(opts.boot), raw);
      since = Math.max(since, b.first - 1);
      until = Math.min(until, b.last);
    }
    if (since >= until) return;
    const reverse = opts.reverse ?? false;
    const problem = readOptionsProblem(opts);
    if (problem) throw new TypeError(`read: ${problem}`);
    if (opts.app !== undefined) yield* this.#readIndex(sub.ixApp, 'app', opts.app, since, until, reverse, decodeNow);
    else if (opts.correlation !== undefined) yield* this.#readIndex(sub.ixCorr, 'correlation', opts.correlation, since, until, reverse);
    else if (opts.type !== undefined) yield* this.#readIndex(sub.ixType, 'type', opts.type, since, until, reverse, decodeNow);
    else yield* this.#readRange(since, until, reverse);
  }

  async *#readRange(since: number, until: number, reverse: boolean): AsyncGenerator<ReadItem[]> {
    const end = Math.min(until, this.log.lastSeq); // taken before the iterator's snapshot: all of it is in there
    const it = this.log.sub.log.iterator({ ...HWM, gt: pad(since), lte: pad(until), reverse });
    let expected = since + 1; // forward reads: the next seq a gapless log holds
    try {
      for await (const entries of chunks(it, READ_CHUNK)) {
        const batch: ReadItem[] = [];
        for (const [key, value] of entries) {
          const seq = Number(key);
          if (!reverse && seq > expected) {
            const gap = this.#gap(expected, seq - 1);
            if (gap) batch.push(gap);
          }
          expected = seq + 1;
          batch.push(decodeRecord(seq, value));
        }
        yield batch;
      }
      if (!reverse && expected <= end) {
        const gap = this.#gap(expected, end);
        if (gap) yield [gap];
      }
    } finally {
      await it.close();
    }
  }

  /** Missing seqs from..to: an error item for the part a compaction did not remove. */
  #gap(from: number, to: number): ReadItem | undefined {
    const first = Math.max(from, (this.log.compaction?.through ?? 0) + 1);
    if (first > to) return undefined;
    const what = first === to ? `seq ${first} is` : `seqs ${first}..${to} are`;
    return { ok: false, seq: first, reason: `${what} missing from the log (no compaction removed ${first === to ? 'it' : 'them'})` };
  }

  /**
   * Records through an index, a chunk at a time. An ix-app or ix-type entry holds a copy of its record
   * (keys.ts): decoded where it lies, one range read. An entry without one (ix-corr, an index of an
   * older layout) is looked up in log!, one multi-get per chunk. Either way a record that is not the index's
   * (another app, another seq) is an error item, never read as one of its events.
   */
  async *#readIndex(
    index: Sub, what: 'app' | 'correlation' | 'type', name: string, since: number, until: number, reverse: boolean, decodeNow?: (type: string | undefined) => boolean,
  ): AsyncGenerator<(ReadItem | PassedOver)[]> {
    const it = index.iterator({ ...HWM, ...indexRange(name, since, until), reverse });
    const through = this.log.compaction?.through ?? 0;
    try {
      // Small chunks first: readers that stop early (the last action, a fact's previous value) decode little.
      for await (const entries of chunks(it, 16)) {
        const batch: (ReadItem | PassedOver | number)[] = [];
        let pointers = 0;
        for (const [key, value] of entries) {
          const seq = Number(indexedSeqKey(name, key));
          const type = decodeNow && value !== '' ? typeOfText(value) : undefined;
          if (value === '') {
            batch.push(seq);
            pointers += 1;
          } else if (decodeNow && !decodeNow(type)) {
            batch.push(new PassedOver(seq, type, value, what, name));
          } else {
            batch.push(ofIndex(decodeRecord(seq, value), what, name, ` (the copy in the ${what} index)`));
          }
        }
        const items = pointers > 0 ? await this.#lookUp(batch, what, name, through) : (batch as (ReadItem | PassedOver)[]);
        if (items.length > 0) yield items;
      }
    } finally {
      await it.close();
    }
  }

  /** `batch` with its seqs (index entries without a copy) replaced by their records from log!, one multi-get. */
  async #lookUp<T>(batch: readonly (T | number)[], what: 'app' | 'correlation' | 'type', name: string, through: number): Promise<(T | ReadItem)[]> {
    const seqs = batch.filter((x): x is number => typeof x === 'number');
    const values = await this.log.sub.log.getMany(seqs.map(pad));
    const items: (T | ReadItem)[] = [];
    let j = 0;
    for (const x of batch) {
      if (typeof x !== 'number') { items.push(x); continue; }
      const value = values[j++];
      if (value !== undefined) items.push(ofIndex(decodeRecord(x, value), what, name, ''));
      else if (x > through) items.push({ ok: false, seq: x, reason: `index of ${what} '${name}' names seq ${x}, which is not in the log` });
      // at or below the cut: removed on purpose, its entry left by an interrupted compaction (a full read does not report it either)
    }
    return items;
  }

  /** One record by seq: undefined when the log does not hold it (never written, or removed by compaction). */
  async get(seq: number): Promise<ReadItem | undefined> {
    const [item] = await this.getMany([seq]);
    return item;
  }

  /** Records by seq, in the order asked, one LevelDB multi-get. */
  async getMany(seqs: readonly number[]): Promise<(ReadItem | undefined)[]> {
    const valid = seqs.map((s) => Number.isSafeInteger(s) && s > 0);
    const keys = seqs.filter((_, i) => valid[i]).map(pad);
    await this.log.reopening;
    const epoch = this.log.epoch;
    const values = await this.log.sub.log.getMany(keys).catch(async (err: unknown) => {
      if (this.log.epoch === epoch) throw err;
      await this.log.reopening; // closed under us by a reopen: once more
      return this.log.sub.log.getMany(keys);
    });
    let next = 0;
    return seqs.map((seq, i) => {
      if (!valid[i]) return undefined;
      const value = values[next++];
      return value === undefined ? undefined : decodeRecord(seq, value);
    });
  }

  async boots(): Promise<BootRecord[]> {
    const entries = await this.log.sub.boots.iterator().all();
    return entries.map(([k, v]) => bootRecord(k, v));
  }
}

/**
 * A record read through the index of `what` `name`: an error item when it is not one of the index's
 * (a store damaged or edited behind the writer), so a read never yields an event the index does not name.
 */
function ofIndex(item: ReadItem, what: 'app' | 'correlation' | 'type', name: string, where: string): ReadItem {
  if (!item.ok) return where ? { ok: false, seq: item.seq, reason: `${item.reason}${where}` } : item;
  const e = item.event;
  const field = what === 'app' ? e.app : what === 'correlation' ? e.correlation : e.type;
  if (field === name) return item;
  return { ok: false, seq: e.seq, reason: `index of ${what} '${name}' names seq ${e.seq}, a record of ${what} ${JSON.stringify(field ?? null)}${where}` };
}

/**
 * A record of an index read that was not decoded: its text, and its type where the text settles it
 * (`typeOfText`). Nothing else of it is checked until `decode`, which checks it as a read through the
 * index would.
 */
export class PassedOver {
  constructor(readonly seq: number, readonly type: string | undefined, private readonly text: string, private readonly what: 'app' | 'correlation' | 'type', private readonly name: string) {}

  decode(): ReadItem {
    return ofIndex(decodeRecord(this.seq, this.text), this.what, this.name, ` (the copy in the ${this.what} index)`);
  }
}

/**
 * The type of a stored record, where its text settles it without parsing: the text holds `"type"`
 * once, as `"type":"T"`, and no backslash (no escaped string can spell "type"). In JSON a `"` outside
 * a string only opens or closes one, so if the record decodes at all, that is its one key "type": the
 * envelope's, T (JSON.parse would keep the last of duplicate keys: there is none). Undefined
 * otherwise: the record is decoded to know.
 */
export function typeOfText(text: string): string | undefined {
  const at = text.indexOf('"type"');
  if (at < 0 || !text.startsWith(':"', at + 6) || hasAnother(text, at) || text.includes('\\')) return undefined;
  const to = text.indexOf('"', at + 8);
  return to < 0 ? undefined : text.slice(at + 8, to);
}

/**
 * Whether `"type"` occurs again after the one at `at`. A second one starts at `at + 5` or later (it
 * can share only the closing quote), so its `ype"` lies at `at + 7` or later; `ype"` is looked for
 * first, as its `y` is rare in a record where `"` is everywhere (4× faster over a why read's 25,000
 * records), and only where it occurs is the whole key.
 */
const hasAnother = (text: string, at: number): boolean => text.includes('ype"', at + 6) && text.includes('"type"', at + 1);

function decodeRecord(seq: number, value: string): ReadItem {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    return { ok: false, seq, reason: `not JSON: ${(err as Error).message}` };
  }
  const r = decodeOwned(raw); // fresh from JSON.parse: ours to keep
  if (!r.ok) return { ok: false, seq, reason: r.reason };
  if (r.event.seq !== seq) return { ok: false, seq, reason: `record stored at seq ${seq} says seq ${r.event.seq}` };
  return r;
}
