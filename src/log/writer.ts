// The log's single writer: opens the db and recovers its position, appends with durable group commit,
// starts boots, and runs every other write (imports, snapshots, compaction, index rebuilds) as a task
// in the same queue, so writes never interleave. After a failed write it reopens the db before the
// next one (see `reopen`); readers interrupted by a reopen resume (reader.ts).
import { statfs } from 'node:fs/promises';
import { Level } from 'level';
import { v7 as uuidv7 } from 'uuid';
import type { Draft, Envelope } from '../core/events.js';
import { exclusive } from '../core/serial.js';
import { partialEnvelope, envelopeAt, type PartialEnvelope } from './drafts.js';
import { DbLockedError, DbOpenError, DbWriteError } from './errors.js';
import { HWM, META, READ_CHUNK, bootOp, bootRecord, openSubs, recordOps, type BatchOp, type BootRecord, type Subs } from './keys.js';
import { makePrivate } from './private-dir.js';
import type { Compaction } from './compaction.js';

export type StoreOptions = {
  clock?: () => number;
  newId?: () => string;
  /** extra wait before writing a batch, to gather more appends; 0 = write as soon as the writer is free */
  groupCommitMs?: number;
};
export type BootData = { version: string; pid: number; foldVersion: number; hashVersion: number; node?: string };

/** Where the log ends: the last seq written, the current boot, and what compaction removed. */
export type Position = { lastSeq: number; boot: BootRecord; compaction: Compaction | undefined };

/** A caller of `append` waiting for its batch; `startsBoot` marks the `BootStarted` of `beginBoot`. */
type Waiter = {
  partials: PartialEnvelope[];
  startsBoot?: string;
  resolve: (envs: Envelope[]) => void;
  reject: (err: unknown) => void;
};

/** ops a bulk rewrite (`sweep`) gathers before it writes them, unsynced */
const REWRITE_BATCH = 5000;
/** free space a reopen after a failed write waits for (LevelDB writes a new log and manifest) */
const REOPEN_MIN_FREE = 256 << 10;

export class LogWriter {
  #position: Position;
  #queue: Waiter[] = [];
  #flushPending = false;
  /** runs writer tasks one at a time, in order; a failing task does not stop the next */
  readonly #serial = exclusive();
  #closed = false;
  /** the last write failed: the db must be reopened before the next (see #reopen) */
  #torn = false;
  /** counts reopens; readers interrupted by one resume */
  #epoch = 0;
  #reopening: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly db: Level<string, string>,
    readonly sub: Subs,
    private readonly opts: Required<StoreOptions>,
    position: Position,
    /** hears every durably written batch of events; a throw is rethrown outside the writer */
    private readonly onAppended: (envs: Envelope[]) => void,
  ) {
    this.#position = position;
  }

  /** Open the db in `dir` (made private) and recover where the log ends. */
  static async open(dir: string, opts: StoreOptions, onAppended: (envs: Envelope[]) => void): Promise<LogWriter> {
    await makePrivate(dir);
    const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new DbLockedError(dir, { cause: err });
      throw new DbOpenError(dir, cause?.message ?? (err as Error).message, { cause: err });
    }
    const sub = openSubs(db);
    let position: Position;
    try {
      position = await recoverPosition(sub);
    } catch (err) {
      await db.close(); // do not keep the LOCK for a store nobody can use
      throw err instanceof DbOpenError ? err : new DbOpenError(dir, `cannot recover the log position: ${(err as Error).message}`, { cause: err });
    }
    const full = { clock: opts.clock ?? Date.now, newId: opts.newId ?? uuidv7, groupCommitMs: opts.groupCommitMs ?? 0 };
    return new LogWriter(dir, db, sub, full, position, onAppended);
  }

  /** seq of the last durably written event (0 when empty) */
  get lastSeq(): number {
    return this.#position.lastSeq;
  }

  /** the current boot (boot 0 = events appended before any beginBoot) */
  get boot(): BootRecord {
    return this.#position.boot;
  }

  get compaction(): Compaction | undefined {
    return this.#position.compaction;
  }

  get clock(): () => number {
    return this.opts.clock;
  }

  /** changes with every reopen: a reader that saw it change resumes */
  get epoch(): number {
    return this.#epoch;
  }

  /** settles once a reopen in progress is over */
  get reopening(): Promise<unknown> {
    return this.#reopening;
  }

  /** A task that wrote past the position (an import, a compaction) moves it; only after its batch is durable. */
  moveTo(position: Partial<Position>): void {
    this.#position = { ...this.#position, ...position };
  }

  /** Start a new boot: boot + 1, bootSeq restarts at 1 with this `BootStarted`. */
  async beginBoot(data: BootData): Promise<Envelope> {
    const [env] = await this.#enqueue([{ type: 'BootStarted', source: 'reconciler', data }], data.version);
    return env!;
  }

  /** Append drafts durably; resolves after their batch is fsynced. Drafts of one call get consecutive seqs. */
  append(drafts: Draft[]): Promise<Envelope[]> {
    return this.#enqueue(drafts, undefined);
  }

  #enqueue(drafts: Draft[], startsBoot: string | undefined): Promise<Envelope[]> {
    if (this.#closed) return Promise.reject(this.#closedError());
    let partials: PartialEnvelope[];
    try {
      partials = drafts.map((d, i) => partialEnvelope(d, this.opts, i));
    } catch (err) {
      return Promise.reject(err);
    }
    if (partials.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ partials, startsBoot, resolve, reject });
      if (this.#flushPending) return; // a queued flush will take this waiter too
      this.#flushPending = true;
      void this.#serial(async () => {
        if (this.opts.groupCommitMs > 0) await new Promise((r) => setTimeout(r, this.opts.groupCommitMs));
        // Taken only now that the writer is free: everything that arrived meanwhile goes in this batch.
        this.#flushPending = false;
        await this.#writeBatch(this.#queue.splice(0));
      });
    });
  }

  async #writeBatch(waiters: Waiter[]): Promise<void> {
    if (waiters.length === 0) return;
    try {
      await this.#writeBatchOrThrow(waiters);
    } catch (err) {
      // Not a write failure (those reject inside): a bug in assembling the batch. Never leave a waiter hanging.
      for (const w of waiters) w.reject(new DbWriteError(this.dir, `batch not written: ${(err as Error).message}`, { cause: err }));
    }
  }

  async #writeBatchOrThrow(waiters: Waiter[]): Promise<void> {
    // Assign positions on copies of the writer state; commit them only once the batch is durable.
    const lastSeq = this.lastSeq;
    let seq = lastSeq;
    let boot = { ...this.boot };
    const touched = new Map<number, BootRecord>();
    const ops: BatchOp[] = [];
    const results: Envelope[][] = [];
    for (const w of waiters) {
      if (w.startsBoot !== undefined) boot = { boot: boot.boot + 1, first: seq + 1, last: seq, version: w.startsBoot };
      const first = seq + 1;
      const envs = w.partials.map((p) => {
        seq += 1;
        boot.last = seq;
        return envelopeAt(p, seq, boot.boot, seq - boot.first + 1, first);
      });
      for (const env of envs) ops.push(...recordOps(this.sub, env));
      touched.set(boot.boot, boot);
      results.push(envs);
    }
    for (const b of touched.values()) ops.push(bootOp(this.sub, b));
    try {
      await this.commit(ops, true);
    } catch (err) {
      const reason = `batch of ${seq - lastSeq} events was not written: ${(err as Error).message}`;
      for (const w of waiters) w.reject(new DbWriteError(this.dir, reason, { cause: err }));
      return;
    }
    this.moveTo({ lastSeq: seq, boot });
    waiters.forEach((w, i) => w.resolve(results[i]!));
    this.emitAppended(results.flat());
  }

  /**
   * Write ops atomically, fsynced with `sync`. Through a chained batch of the root db with the sublevel
   * prefixes spelled out: the array form of `batch` costs ~5× the CPU per op (its ops are cloned, then
   * read property by property by the native side), which dominated bulk imports.
   */
  async commit(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    if (this.#torn) {
      // Reopening needs room for a new log file: while the disk is still full, fail fast and keep the
      // db open, so readers (status, why, the control socket) go on working.
      const free = await freeBytes(this.dir);
      if (free < REOPEN_MIN_FREE) throw new Error(`no space left on device: ${free} bytes free under ${this.dir}`);
      await this.#reopen();
    }
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.sublevel.prefix + op.key, op.value);
      else batch.del(op.sublevel.prefix + op.key);
    }
    try {
      await batch.write(sync ? { sync: true } : {});
    } catch (err) {
      this.#torn = true;
      throw err;
    }
  }

  /**
   * A write that failed (disk full) can leave a torn record at the end of LevelDB's write-ahead log;
   * records written after it on the same handle would be dropped with it at the next open. So the db
   * is reopened first: recovery drops only the failed batch, and writing resumes in a fresh log file.
   */
  async #reopen(): Promise<void> {
    this.#epoch += 1;
    const reopening = (async () => {
      await this.db.close();
      await this.db.open();
      // sublevels stay closed when their parent is reopened
      await Promise.all(Object.values(this.sub).map((sublevel) => sublevel.open()));
    })();
    this.#reopening = reopening.catch(() => undefined);
    try {
      await reopening;
    } catch (err) {
      throw new DbWriteError(this.dir, `cannot reopen the log after a failed write: ${(err as Error).message}`, { cause: err });
    }
    this.#torn = false;
  }

  /**
   * Walk the stored records at or below `lte` (all of them without), gathering the ops `visit` returns;
   * every REWRITE_BATCH ops are written unsynced as they come. Returns the ops not yet written, for the
   * caller's last, synced batch. For bulk rewrites inside a task: index rebuilds, compaction.
   */
  async sweep(lte: string | undefined, visit: (key: string, value: string) => BatchOp[]): Promise<BatchOp[]> {
    const ops: BatchOp[] = [];
    const it = this.sub.log.iterator(lte === undefined ? { ...HWM, keys: true } : { ...HWM, lte });
    try {
      for (let chunk = await it.nextv(READ_CHUNK); chunk.length > 0; chunk = await it.nextv(READ_CHUNK)) {
        for (const [key, value] of chunk) ops.push(...visit(key, value));
        if (ops.length >= REWRITE_BATCH) await this.commit(ops.splice(0), false);
      }
    } finally {
      await it.close();
    }
    return ops;
  }

  emitAppended(envs: Envelope[]): void {
    try {
      this.onAppended(envs);
    } catch (err) {
      // A listener's bug must not wedge the writer; surface it as an uncaught error instead.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Run `task` as a writer task: after every queued append and task; refused once the store is closed. */
  task<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return this.#serial(task);
  }

  #closedError(): DbWriteError {
    return new DbWriteError(this.dir, 'the store is closed');
  }

  /** Wait for every queued append and task, then close the db. New appends are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#serial(async () => undefined);
    await this.db.close();
  }
}

async function freeBytes(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.MAX_SAFE_INTEGER; // cannot tell: try the reopen
  }
}

/**
 * The writer's position: the last log key and the last boot record (both written in every batch); a
 * compaction may have removed the last records, so its `through` counts as written too.
 */
async function recoverPosition(sub: Subs): Promise<Position> {
  const [lastKey] = await sub.log.keys({ reverse: true, limit: 1 }).all();
  const [lastBoot] = await sub.boots.iterator({ reverse: true, limit: 1 }).all();
  const rawCompaction = await sub.meta.get(META.compaction);
  const compaction = rawCompaction === undefined ? undefined : (JSON.parse(rawCompaction) as Compaction);
  const lastSeq = Math.max(lastKey === undefined ? 0 : Number(lastKey), compaction?.through ?? 0);
  if (!lastBoot) return { lastSeq, boot: { boot: 0, first: lastSeq + 1, last: lastSeq, version: '' }, compaction };
  const boot = bootRecord(...lastBoot);
  if (boot.last !== lastSeq) throw new Error(`boot ${lastBoot[0]} ends at seq ${boot.last} but the log ends at seq ${lastSeq}`);
  return { lastSeq, boot, compaction };
}
