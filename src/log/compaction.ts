// The writing half of compaction: removing the records a compaction cut leaves out, with their index
// entries, and recording what was removed. Which cut, and which records stay, is decided in compact.ts.
import { DbWriteError } from './errors.js';
import { ALL_KEYS, META, metaOp, pad, parseStored, snapDelOp, snapOp, storedIndexOps, type BatchOp } from './keys.js';
import { snapshotSeqs } from './snapshot-store.js';
import { forgetWhyViews } from './why-keep.js';
import type { LogWriter } from './writer.js';

/** What `compact` removed: every seq at or below `through` that is not in `kept`, on purpose. */
export type Compaction = {
  through: number;
  /** seqs at or below `through` still in the log: the `why` history of the containers that existed */
  kept: number[];
  /** records removed by every compaction so far */
  removed: number;
  /** when the last compaction ran (ms) */
  at: number;
};

/**
 * Remove every record at or below `through` except `kept`, with its index entries; `snapshot` (the
 * projection at `through`, folded from everything removed) becomes snap!<through>. The snapshot and
 * meta!compaction are written first, in one sync batch: from then on readers know the gaps are meant,
 * and an interrupted compaction only leaves records that a re-run removes. Snapshots below `through`
 * are removed too (events after them are gone). Finally LevelDB compacts, so the files shrink.
 */
export function removeCompacted(w: LogWriter, through: number, kept: Iterable<number>, snapshot: string): Promise<Compaction> {
  return w.task(async () => {
    const previous = w.compaction;
    if (!(Number.isSafeInteger(through) && through >= (previous?.through ?? 0) && through <= w.lastSeq)) {
      throw new DbWriteError(w.dir, `compact through seq ${through}: must lie between the last compaction (${previous?.through ?? 0}) and the end of the log (${w.lastSeq})`);
    }
    const keep = new Set([...kept].filter((s) => s <= through));
    await forgetWhyViews(w); // what they say of past actions changes with the records removed (why-view.ts)
    const record: Compaction = { through, kept: [...keep].sort((a, b) => a - b), removed: previous?.removed ?? 0, at: w.clock() };
    await w.commit([
      snapOp(w.sub, through, snapshot),
      metaOp(w.sub, META.compaction, record),
    ], true);
    w.moveTo({ compaction: record });

    const unreadable = new Set<number>();
    const ops = await w.sweep(pad(through), (key, value) => {
      const seq = Number(key);
      if (keep.has(seq)) return [];
      record.removed += 1;
      const raw = parseStored(value);
      if (typeof raw !== 'object' || raw === null) unreadable.add(seq);
      return [{ type: 'del', sublevel: w.sub.log, key }, ...storedIndexOps(w.sub, 'del', seq, value)];
    });
    if (unreadable.size > 0) ops.push(...(await orphanedIndexOps(w, unreadable)));
    for (const s of await snapshotSeqs(w.sub)) if (s < through) ops.push(snapDelOp(w.sub, s));
    ops.push(metaOp(w.sub, META.compaction, record));
    await w.commit(ops, true);
    // `level` is classic-level in Node, whose compactRange its types do not declare
    await (w.db as unknown as { compactRange(start: string, end: string): Promise<void> }).compactRange(ALL_KEYS.start, ALL_KEYS.end);
    return record;
  });
}

/**
 * The index entries of removed records that could not be parsed (so their entries could not be named
 * from them): found by walking every index, which happens only when such records were removed. Left in
 * place, an ix-app entry would go on yielding its copy of a record the log no longer holds.
 */
async function orphanedIndexOps(w: LogWriter, seqs: ReadonlySet<number>): Promise<BatchOp[]> {
  const ops: BatchOp[] = [];
  for (const sublevel of [w.sub.ixApp, w.sub.ixCorr, w.sub.ixType]) {
    for await (const key of sublevel.keys()) {
      if (seqs.has(Number(key.slice(key.lastIndexOf('!') + 1)))) ops.push({ type: 'del', sublevel, key });
    }
  }
  return ops;
}
