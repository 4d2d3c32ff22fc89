// Import: restoring an export into a store, as a writer task. Events already present are skipped, the
// rest must continue the log gaplessly; a compacted export is restored into an empty store. The export
// must be of the store's node (see node-identity.ts).
import type { Envelope } from '../core/events.js';
import type { Compaction } from './compaction.js';
import { DbWriteError, ImportError } from './errors.js';
import type { ExportHeader } from './export-header.js';
import { META, bootOp, metaOp, pad, parseStored, recordOps, snapOp, type BatchOp, type BootRecord } from './keys.js';
import { ImportNode } from './node-identity.js';
import type { ReadItem } from './reader.js';
import { forgetWhyViews } from './why-keep.js';
import type { LogWriter } from './writer.js';

export type ImportOptions = { header?: ExportHeader; node?: string };
export type ImportResult = { imported: number; skipped: number; /** the export was of a log compacted through this seq */ compactedThrough?: number };

const IMPORT_BATCH = 1000;

/**
 * Restore an export. Events already present (same id at the same seq) are skipped, so an import can be
 * re-run; the rest must continue the log gaplessly. The export must be of this log's node: its
 * header's `node` and every BootStarted's are checked against the node recorded in the store, or
 * `opts.node` (the id of the key beside the store) when none is. A compacted export (its header has
 * the cut and the state at it) is restored into an empty store: the part up to the cut in one atomic
 * batch, then the events after it. Written in sync batches of ~1000; on an error, every event before
 * the offending item has been imported (except a compacted export's part up to the cut: all or nothing).
 */
export function importEvents(w: LogWriter, items: AsyncIterable<ReadItem>, opts: ImportOptions): Promise<ImportResult> {
  return w.task(async () => {
    const header = opts.header;
    const node = await ImportNode.of(w, opts.node, header); // its claim is written with the first batch that writes events
    let restoring = header?.compaction && header.snapshot ? { compaction: header.compaction, snapshot: header.snapshot } : undefined;
    if (restoring && (w.lastSeq > 0 || w.compaction)) {
      // A store holding the events the export lacks, or this very compaction, takes the export as it is.
      const through = restoring.compaction.through;
      if (w.lastSeq < through && w.compaction?.through !== through) {
        throw new ImportError(1, undefined, `the export was compacted through #${through} (events at or before it were removed on purpose), `
          + `but this store ends at #${w.lastSeq}: the removed events cannot continue it; import the export into an empty --data, `
          + 'or import an export made before the compaction');
      }
      restoring = undefined;
    }

    // the kept `why --all` entries assume the log grows only by the daemon's appends (why-view.ts)
    await forgetWhyViews(w);
    let imported = 0;
    let skipped = 0;
    let position = 0;
    let chunk: { line: number; event: Envelope }[] = [];
    const beforeCut: { line: number; event: Envelope }[] = [];
    const flush = async (): Promise<void> => {
      if (restoring) {
        imported += await restoreCompaction(w, restoring, beforeCut, node.claim());
        restoring = undefined;
      }
      const c = chunk;
      chunk = [];
      const r = await importChunk(w, c, c.length > 0 ? node.claim() : []);
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
      const foreign = node.check(event, line);
      if (foreign) await fail(foreign);
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
async function restoreCompaction(
  w: LogWriter, r: { compaction: Compaction; snapshot: NonNullable<ExportHeader['snapshot']> }, kept: { line: number; event: Envelope }[], extra: BatchOp[],
): Promise<number> {
  const { through } = r.compaction;
  const allowed = new Set(r.compaction.kept);
  const boots = new Map<number, BootRecord>();
  const ops: BatchOp[] = [
    ...extra,
    snapOp(w.sub, through, JSON.stringify(r.snapshot)),
    metaOp(w.sub, META.compaction, r.compaction),
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
    ops.push(...recordOps(w.sub, event));
  }
  const cutBoot = Math.max(r.snapshot.state.boot, ...boots.keys());
  const boot = boots.get(cutBoot) ?? { boot: cutBoot, first: through, last: through, version: '' };
  boot.last = through;
  boots.set(cutBoot, boot);
  for (const b of boots.values()) ops.push(bootOp(w.sub, b));
  try {
    await w.commit(ops, true);
  } catch (err) {
    throw new DbWriteError(w.dir, `the compacted part of the import (${kept.length} events up to #${through}) was not written: ${(err as Error).message}`, { cause: err });
  }
  w.moveTo({ compaction: r.compaction, lastSeq: through, boot });
  return kept.length;
}

/** Import one chunk; writes the valid prefix even when a later item is in error (then returned). */
async function importChunk(w: LogWriter, chunk: { line: number; event: Envelope }[], extra: BatchOp[]): Promise<{ imported: number; skipped: number; error?: ImportError }> {
  const lastSeq = w.lastSeq;
  const known = chunk.filter((c) => c.event.seq <= lastSeq);
  const stored = known.length ? await w.sub.log.getMany(known.map((c) => pad(c.event.seq))) : [];
  const storedAt = new Map(known.map((c, i) => [c.event.seq, stored[i]]));
  const cut = w.compaction?.through ?? 0;
  let seq = lastSeq;
  let boot = { ...w.boot };
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
    ops.push(...recordOps(w.sub, event));
    written.push(event);
    writtenIds.set(event.seq, event.id);
  }
  if (written.length > 0) {
    for (const b of touched.values()) ops.push(bootOp(w.sub, b));
    try {
      await w.commit(ops, true);
    } catch (err) {
      throw new DbWriteError(w.dir, `import batch of ${written.length} events was not written: ${(err as Error).message}`, { cause: err });
    }
    w.moveTo({ lastSeq: seq, boot });
    w.emitAppended(written);
  }
  return error ? { imported: written.length, skipped, error } : { imported: written.length, skipped };
}

/** A reader's reason without the line number the ImportError already gives. */
const unprefixed = (reason: string, prefix: string): string => (reason.startsWith(prefix) ? reason.slice(prefix.length) : reason);
