// Index upkeep. Appends, imports and compaction write and delete a record's index entries in the same
// batch as the record (keys.ts `recordOps`, `indexOps`); a log written before an index existed, or with
// other indexed types, gets its indexes rebuilt from the records once, when the store opens.
import { INDEXES, META, storedIndexOps } from './keys.js';
import type { LogWriter } from './writer.js';

/** Whether the log's indexes are complete (meta!indexes says so); if not, `rebuildIndexes` at open. */
export async function indexesComplete(w: LogWriter): Promise<boolean> {
  return (await w.sub.meta.get(META.indexes)) === INDEXES;
}

/**
 * Rewrite every index from the log (run at open when meta!indexes is missing or stale). Writer task:
 * appends wait for it. Records that cannot be parsed get no index entries.
 */
export function rebuildIndexes(w: LogWriter): Promise<{ records: number; entries: number }> {
  return w.task(async () => {
    await Promise.all([w.sub.ixApp.clear(), w.sub.ixCorr.clear(), w.sub.ixType.clear()]);
    let records = 0;
    let entries = 0;
    const ops = await w.sweep(undefined, (key, value) => {
      records += 1;
      const added = storedIndexOps(w.sub, 'put', Number(key), value);
      entries += added.length;
      return added;
    });
    ops.push({ type: 'put', sublevel: w.sub.meta, key: META.indexes, value: INDEXES });
    await w.commit(ops, true);
    return { records, entries };
  });
}
