// The storage of projection snapshots (snap!<seq>) and of the other small records beside the log
// (meta!<key>): reads and writes of their text only. What a snapshot holds and when it is trusted is
// snapshots.ts, which needs the fold (to hash a state); the store and its readers load only this.
import { DbWriteError } from './errors.js';
import { metaOp, pad, snapDelOp, snapOp, type Subs } from './keys.js';
import type { LogWriter } from './writer.js';

/** seqs of the stored projection snapshots, newest first */
export async function snapshotSeqs(sub: Subs): Promise<number[]> {
  return (await sub.snap.keys({ reverse: true }).all()).map(Number);
}

export async function getSnapshot(sub: Subs, seq: number): Promise<string | undefined> {
  return sub.snap.get(pad(seq));
}

/**
 * Store the projection at `seq` (a writer task, so it is ordered with appends) and keep only the newest
 * `keep` snapshots, besides the one a compaction folded its removed events into.
 */
export function putSnapshot(w: LogWriter, seq: number, value: string, keep: number): Promise<void> {
  return w.task(async () => {
    const base = w.compaction?.through;
    if (!(Number.isSafeInteger(seq) && seq >= (base ?? 0) && seq <= w.lastSeq)) {
      throw new DbWriteError(w.dir, `snapshot at seq ${seq}: outside the log (${base ?? 0}..${w.lastSeq})`);
    }
    const older = (await snapshotSeqs(w.sub)).filter((s) => s !== seq && s !== base).slice(Math.max(0, keep - 1));
    await w.commit([
      snapOp(w.sub, seq, value),
      ...older.map((s) => snapDelOp(w.sub, s)),
    ], true);
  });
}

export async function getMeta<T = unknown>(sub: Subs, key: string): Promise<T | undefined> {
  const raw = await sub.meta.get(key);
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}

export async function putMeta(w: LogWriter, key: string, value: unknown): Promise<void> {
  await w.commit([metaOp(w.sub, key, value)], true);
}
