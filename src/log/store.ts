// The event log: one LevelDB, one writer, gapless seq, durable group commit.
//
// `EventStore` is a facade; each job is in its own module: the key layout (keys.ts), the writer (append,
// boots, group commit, reopen: writer.ts), reads (gaps, resuming after a reopen) and the reader
// interface (reader.ts), index upkeep (indexes.ts), snapshots and meta (snapshots.ts), physical
// compaction (compaction.ts), import (import.ts), node identity (node-identity.ts).
import type { Level } from 'level';
import { EventEmitter } from 'eventemitter3';
import type { Draft, Envelope } from '../core/events.js';
import { DbOpenError } from './errors.js';
import type { BootRecord } from './keys.js';
import { importEvents, type ImportOptions, type ImportResult } from './import.js';
import { recordNode, recordedNode } from './node-identity.js';
import { indexesComplete, rebuildIndexes } from './indexes.js';
import { removeCompacted, type Compaction } from './compaction.js';
import { getMeta, getSnapshot, putMeta, putSnapshot, snapshotSeqs } from './snapshot-store.js';
import { LogReader, type IndexRead, type PassedOver, type ReadItem, type ReadOptions } from './reader.js';
import { LogWriter, type BootData, type StoreOptions } from './writer.js';
import { materializeWhy } from './why-keep.js';
import { readWhyText, readWhyView, type WhyText, type WhyView } from './why-view.js';

export type { BootRecord } from './keys.js';
export type { Compaction } from './compaction.js';
export type { ImportOptions, ImportResult } from './import.js';
export type { BootData, StoreOptions } from './writer.js';
export type { ReadItem, ReadOptions } from './reader.js';

export class EventStore extends EventEmitter<{ appended: [Envelope[]] }> {
  readonly #w: LogWriter;
  readonly #r: LogReader;

  private constructor(writer: LogWriter) {
    super();
    this.#w = writer;
    this.#r = new LogReader(writer);
  }

  /** `notice` is told, before it starts, of work at open that takes long on a big log (an index rebuild). */
  static async open(dir: string, opts: StoreOptions = {}, notice?: (text: string) => void): Promise<EventStore> {
    let appended = (_envs: Envelope[]): void => {}; // the store's, once there is one: nothing is appended before
    const writer = await LogWriter.open(dir, opts, (envs) => appended(envs));
    const store = new EventStore(writer);
    appended = (envs) => void store.emit('appended', envs);
    // A log written before an index existed (or with other indexed types) gets its indexes once, now.
    if (!(await indexesComplete(writer))) {
      // a new, empty log has nothing to index: its marker is written without a word
      if (writer.lastSeq > 0 || writer.compaction !== undefined) notice?.(`the log's indexes are rebuilt once (a log written by an older podledger): every record is read, about a minute per million events`);
      try {
        await store.rebuildIndexes();
      } catch (err) {
        await writer.db.close();
        throw new DbOpenError(dir, `cannot rebuild the indexes: ${(err as Error).message}`, { cause: err });
      }
    }
    return store;
  }

  get dir(): string {
    return this.#w.dir;
  }

  /** the LevelDB under the store (tests watch its writes) */
  private get db(): Level<string, string> {
    return this.#w.db;
  }

  /** seq of the last durably written event (0 when empty) */
  get lastSeq(): number {
    return this.#w.lastSeq;
  }

  /** what compaction removed, if the log was ever compacted */
  get compaction(): Compaction | undefined {
    return this.#w.compaction;
  }

  /** current boot number (0 before the first beginBoot) */
  get boot(): number {
    return this.#w.boot.boot;
  }

  /** Start a new boot: boot + 1, bootSeq restarts at 1 with this `BootStarted`. */
  beginBoot(data: BootData): Promise<Envelope> {
    return this.#w.beginBoot(data);
  }

  /** Append drafts durably; resolves after their batch is fsynced. Drafts of one call get consecutive seqs. */
  append(drafts: Draft[]): Promise<Envelope[]> {
    return this.#w.append(drafts);
  }

  /**
   * Events in seq order (newest first with `reverse`); a record that cannot be parsed or decoded comes
   * as `{ok: false}`, never skipped, and so does a gap in a full forward read (except seqs a compaction removed).
   */
  read(opts: ReadOptions = {}): AsyncGenerator<ReadItem> {
    return this.#r.read(opts);
  }

  /** `read`, a batch at a time (the records of one LevelDB `nextv`): the same items in the same order. */
  readBatches(opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
    return this.#r.readBatches(opts);
  }

  /** `readBatches` through an index, decoding only what `decodeNow` takes (reader.ts, `EventLookup.readLazily`). */
  readLazily(opts: IndexRead, decodeNow: (type: string | undefined) => boolean): AsyncGenerator<(ReadItem | PassedOver)[]> {
    return this.#r.readLazily(opts, decodeNow);
  }

  /** One record by seq: undefined when the log does not hold it (never written, or removed by compaction). */
  get(seq: number): Promise<ReadItem | undefined> {
    return this.#r.get(seq);
  }

  /** Records by seq, in the order asked, one LevelDB multi-get. */
  getMany(seqs: readonly number[]): Promise<(ReadItem | undefined)[]> {
    return this.#r.getMany(seqs);
  }

  boots(): Promise<BootRecord[]> {
    return this.#r.boots();
  }

  /** `why --all`'s entries kept for `app` (why-view.ts): undefined when there are none to trust. */
  whyView(app: string): Promise<WhyView | undefined> {
    return readWhyView(this.#w, app);
  }

  /** The texts of `app`'s kept `why --all` entries (why-view.ts): undefined when there are none to trust. */
  whyText(app: string): Promise<WhyText | undefined> {
    return readWhyText(this.#w, app);
  }

  /** Keep the `why --all` entries that became final since the last run (why-view.ts); the daemon runs it after each snapshot. */
  materializeWhy(signal?: AbortSignal): Promise<{ apps: number; entries: number }> {
    return materializeWhy(this.#w, this, signal);
  }

  /** Rewrite every index from the log (see indexes.ts); appends wait for it. */
  rebuildIndexes(): Promise<{ records: number; entries: number }> {
    return rebuildIndexes(this.#w);
  }

  getMeta<T = unknown>(key: string): Promise<T | undefined> {
    return getMeta<T>(this.#w.sub, key);
  }

  putMeta(key: string, value: unknown): Promise<void> {
    return putMeta(this.#w, key, value);
  }

  /** seqs of the stored projection snapshots, newest first */
  snapshotSeqs(): Promise<number[]> {
    return snapshotSeqs(this.#w.sub);
  }

  getSnapshot(seq: number): Promise<string | undefined> {
    return getSnapshot(this.#w.sub, seq);
  }

  /**
   * Store the projection at `seq` (a writer task, so it is ordered with appends) and keep only the newest
   * `keep` snapshots, besides the one a compaction folded its removed events into.
   */
  putSnapshot(seq: number, value: string, keep = 3): Promise<void> {
    return putSnapshot(this.#w, seq, value, keep);
  }

  /**
   * Remove every record at or below `through` except `kept` (see compaction.ts); `snapshot` is the
   * projection at `through`, folded from everything removed.
   */
  compact(through: number, kept: Iterable<number>, snapshot: string): Promise<Compaction> {
    return removeCompacted(this.#w, through, kept, snapshot);
  }

  /** The node this log belongs to (the id of the key it hashed secrets with), once a daemon or an import recorded it. */
  node(): Promise<string | undefined> {
    return recordedNode(this.#w.sub);
  }

  /** Record the node this log belongs to: the daemon does, at its first start on the log. */
  setNode(id: string): Promise<void> {
    return recordNode(this.#w, id);
  }

  /** Restore an export (see import.ts). */
  importEvents(items: AsyncIterable<ReadItem>, opts: ImportOptions = {}): Promise<ImportResult> {
    return importEvents(this.#w, items, opts);
  }

  /** Wait for every queued append and import, then close the db. New appends are refused. */
  async close(): Promise<void> {
    await this.#w.close();
  }
}
