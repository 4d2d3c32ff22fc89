// The event log: one LevelDB, one writer, gapless seq, durable group commit (DESIGN.md §3).
//
// Key layout: keys.ts. The writer (append, boots, group commit, reopen): writer.ts. Reads (gaps,
// resuming after a reopen) and the reader interface: reader.ts.
import type { Level } from 'level';
import { EventEmitter } from 'eventemitter3';
import type { Draft, Envelope } from '../core/events.js';
import { DbOpenError, DbWriteError, ForeignNodeError, ImportError } from './errors.js';
import type { ExportHeader } from './export-header.js';
import { META, bootOp, metaOp, pad, parseStored, recordOps, snapOp, type BatchOp, type BootRecord } from './keys.js';
import { indexesComplete, rebuildIndexes } from './indexes.js';
import { removeCompacted, type Compaction } from './compaction.js';
import { getMeta, getSnapshot, putMeta, putSnapshot, snapshotSeqs } from './snapshots.js';
import { LogReader, type ReadItem, type ReadOptions } from './reader.js';
import { LogWriter, type BootData, type StoreOptions } from './writer.js';

export type { BootRecord } from './keys.js';
export type { Compaction } from './compaction.js';
export type { BootData, StoreOptions } from './writer.js';
export type { ReadItem, ReadOptions } from './reader.js';

export type ImportResult = { imported: number; skipped: number; /** the export was of a log compacted through this seq */ compactedThrough?: number };

const IMPORT_BATCH = 1000;

export class EventStore extends EventEmitter<{ appended: [Envelope[]] }> {
  readonly #w: LogWriter;
  readonly #r: LogReader;

  private constructor(writer: LogWriter) {
    super();
    this.#w = writer;
    this.#r = new LogReader(writer);
  }

  static async open(dir: string, opts: StoreOptions = {}): Promise<EventStore> {
    let appended = (_envs: Envelope[]): void => {}; // the store's, once there is one: nothing is appended before
    const writer = await LogWriter.open(dir, opts, (envs) => appended(envs));
    const store = new EventStore(writer);
    appended = (envs) => void store.emit('appended', envs);
    // A log written before an index existed (or with other indexed types) gets its indexes once, now.
    if (!(await indexesComplete(writer))) {
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
  async node(): Promise<string | undefined> {
    return this.getMeta<string>(META.node);
  }

  /** Record the node this log belongs to: the daemon does, at its first start on the log. */
  setNode(id: string): Promise<void> {
    return this.putMeta(META.node, id);
  }

  /**
   * Restore an export. Events already present (same id at the same seq) are skipped, so an import can be
   * re-run; the rest must continue the log gaplessly. The export must be of this log's node: its
   * header's `node` and every BootStarted's are checked against the node recorded in the store, or
   * `opts.node` (the id of the key beside the store) when none is. A compacted export (its header has
   * the cut and the state at it) is restored into an empty store: the part up to the cut in one atomic
   * batch, then the events after it. Written in sync batches of ~1000; on an error, every event before
   * the offending item has been imported (except a compacted export's part up to the cut: all or nothing).
   */
  importEvents(items: AsyncIterable<ReadItem>, opts: { header?: ExportHeader; node?: string } = {}): Promise<ImportResult> {
    return this.#w.task(async () => {
      const recorded = await this.node();
      let node = recorded ?? opts.node;
      const claim = (id: string): BatchOp[] => (recorded === undefined ? [metaOp(this.#w.sub, META.node, id)] : []);
      const header = opts.header;
      if (header?.node !== undefined) {
        if (node !== undefined && header.node !== node) throw ForeignNodeError.import(this.dir, node, header.node, 'line 1 (the export header)');
        node = header.node;
      }
      let stamp: BatchOp[] = node === undefined ? [] : claim(node); // written with the first batch that writes events
      let restoring = header?.compaction && header.snapshot ? { compaction: header.compaction, snapshot: header.snapshot } : undefined;
      if (restoring && (this.#w.lastSeq > 0 || this.#w.compaction)) {
        // A store holding the events the export lacks, or this very compaction, takes the export as it is.
        const through = restoring.compaction.through;
        if (this.#w.lastSeq < through && this.#w.compaction?.through !== through) {
          throw new ImportError(1, undefined, `the export was compacted through #${through} (events at or before it were removed on purpose), `
            + `but this store ends at #${this.#w.lastSeq}: the removed events cannot continue it; import the export into an empty --data, `
            + 'or import an export made before the compaction');
        }
        restoring = undefined;
      }

      let imported = 0;
      let skipped = 0;
      let position = 0;
      let chunk: { line: number; event: Envelope }[] = [];
      const beforeCut: { line: number; event: Envelope }[] = [];
      const flush = async (): Promise<void> => {
        if (restoring) {
          imported += await this.#restoreCompaction(restoring, beforeCut, stamp.splice(0));
          restoring = undefined;
        }
        const c = chunk;
        chunk = [];
        const r = await this.#importChunk(c, c.length > 0 ? stamp.splice(0) : []);
        imported += r.imported;
        skipped += r.skipped;
        if (r.error) throw r.error;
      };
      const fail = async (error: () => Error): Promise<never> => {
        restoring = undefined; // the part up to the cut is all or nothing
        await flush();
        throw error(); // made now: it counts what the flush imported
      };
      for await (const item of items) {
        position += 1;
        const line = item.line ?? position;
        if (!item.ok) await fail(() => new ImportError(line, item.seq, `${unprefixed(item.reason, `line ${line}: `)}; fix it and import again (${imported} events were imported, they are skipped on a re-run)`));
        const event = (item as { event: Envelope }).event;
        if (event.type === 'BootStarted' && event.data.node !== undefined) {
          if (node !== undefined && event.data.node !== node) await fail(() => ForeignNodeError.import(this.dir, node!, event.data.node!, `line ${line} (BootStarted #${event.seq})`));
          if (node === undefined) stamp = claim(node = event.data.node);
        }
        if (restoring && event.seq <= restoring.compaction.through) beforeCut.push({ line, event });
        else chunk.push({ line, event });
        if (chunk.length >= IMPORT_BATCH) await flush();
      }
      await flush();
      return { imported, skipped, ...(header?.compaction ? { compactedThrough: header.compaction.through } : {}) };
    });
  }

  /**
   * Into an empty store: a compaction's record, its snapshot and the events it kept, in one sync batch.
   * Boot records are rebuilt from the kept events; the boot holding the cut ends there.
   */
  async #restoreCompaction(
    r: { compaction: Compaction; snapshot: NonNullable<ExportHeader['snapshot']> }, kept: { line: number; event: Envelope }[], extra: BatchOp[],
  ): Promise<number> {
    const { through } = r.compaction;
    const allowed = new Set(r.compaction.kept);
    const boots = new Map<number, BootRecord>();
    const ops: BatchOp[] = [
      ...extra,
      snapOp(this.#w.sub, through, JSON.stringify(r.snapshot)),
      metaOp(this.#w.sub, META.compaction, r.compaction),
    ];
    let last = 0;
    for (const { line, event } of kept) {
      if (!allowed.has(event.seq)) throw new ImportError(line, event.seq, `seq ${event.seq} is at or before the compaction's cut (#${through}) but not among the seqs it kept: the export is inconsistent; export it again`);
      if (event.seq <= last) throw new ImportError(line, event.seq, `seq ${event.seq} comes after seq ${last}: an export is in seq order`);
      last = event.seq;
      const b = boots.get(event.boot) ?? { boot: event.boot, first: event.seq, last: event.seq, version: '' };
      if (event.type === 'BootStarted') b.version = event.data.version;
      b.last = event.seq;
      boots.set(event.boot, b);
      ops.push(...recordOps(this.#w.sub, event));
    }
    const cutBoot = Math.max(r.snapshot.state.boot, ...boots.keys());
    const boot = boots.get(cutBoot) ?? { boot: cutBoot, first: through, last: through, version: '' };
    boot.last = through;
    boots.set(cutBoot, boot);
    for (const b of boots.values()) ops.push(bootOp(this.#w.sub, b));
    try {
      await this.#w.commit(ops, true);
    } catch (err) {
      throw new DbWriteError(this.dir, `the compacted part of the import (${kept.length} events up to #${through}) was not written: ${(err as Error).message}`, { cause: err });
    }
    this.#w.moveTo({ compaction: r.compaction, lastSeq: through, boot });
    return kept.length;
  }

  /** Import one chunk; writes the valid prefix even when a later item is in error (then returned). */
  async #importChunk(chunk: { line: number; event: Envelope }[], extra: BatchOp[]): Promise<{ imported: number; skipped: number; error?: ImportError }> {
    const lastSeq = this.#w.lastSeq;
    const known = chunk.filter((c) => c.event.seq <= lastSeq);
    const stored = known.length ? await this.#w.sub.log.getMany(known.map((c) => pad(c.event.seq))) : [];
    const storedAt = new Map(known.map((c, i) => [c.event.seq, stored[i]]));
    const cut = this.#w.compaction?.through ?? 0;
    let seq = lastSeq;
    let boot = { ...this.#w.boot };
    const touched = new Map<number, BootRecord>();
    const ops: BatchOp[] = [...extra];
    const written: Envelope[] = [];
    const writtenIds = new Map<number, string>(); // an event repeated within the chunk is already present
    let skipped = 0;
    let error: ImportError | undefined;
    for (const { line, event } of chunk) {
      if (event.seq <= seq) {
        const raw = storedAt.get(event.seq);
        if (raw === undefined && !writtenIds.has(event.seq) && event.seq <= cut) {
          skipped += 1; // removed by a compaction: its effect is in the snapshot at the cut
          continue;
        }
        const id = writtenIds.get(event.seq) ?? (raw === undefined ? undefined : (parseStored(raw) as { id?: unknown } | undefined)?.id);
        if (id === event.id) {
          skipped += 1;
          continue;
        }
        error = new ImportError(line, event.seq, `seq ${event.seq} already holds a different event (id ${String(id)}, import has ${event.id}): import into an empty store, or export this store and merge by hand`);
        break;
      }
      if (event.seq !== seq + 1) {
        error = new ImportError(line, event.seq, `expected seq ${seq + 1} to continue the log gaplessly: import the export that holds seqs ${seq + 1}..${event.seq - 1} first`);
        break;
      }
      if (event.boot < boot.boot) {
        error = new ImportError(line, event.seq, `boot ${event.boot} comes after boot ${boot.boot}: boots must not go backwards`);
        break;
      }
      if (event.boot > boot.boot) {
        const version = event.type === 'BootStarted' ? event.data.version : '';
        boot = { boot: event.boot, first: event.seq, last: event.seq, version };
      }
      seq = event.seq;
      boot.last = seq;
      touched.set(boot.boot, boot);
      ops.push(...recordOps(this.#w.sub, event));
      written.push(event);
      writtenIds.set(event.seq, event.id);
    }
    if (written.length > 0) {
      for (const b of touched.values()) ops.push(bootOp(this.#w.sub, b));
      try {
        await this.#w.commit(ops, true);
      } catch (err) {
        throw new DbWriteError(this.dir, `import batch of ${written.length} events was not written: ${(err as Error).message}`, { cause: err });
      }
      this.#w.moveTo({ lastSeq: seq, boot });
      this.#w.emitAppended(written);
    }
    return error ? { imported: written.length, skipped, error } : { imported: written.length, skipped };
  }

  /** Wait for every queued append and import, then close the db. New appends are refused. */
  async close(): Promise<void> {
    await this.#w.close();
  }
}

/** A reader's reason without the line number the ImportError already gives. */
const unprefixed = (reason: string, prefix: string): string => (reason.startsWith(prefix) ? reason.slice(prefix.length) : reason);
