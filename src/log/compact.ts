// Retention: fold the events up to a cut into a snapshot at the cut and remove them, except those the
// `why` history of every container that still exists needs. Run only by `podledger compact`, on a store
// no daemon holds; never implicitly.
import { ChunkedFold, stateHash } from '../core/evolve.js';
import type { State } from '../core/state.js';
import type { OnCorrupt } from './fold.js';
import { encodeSnapshot, historyBase } from './snapshots.js';
import type { Compaction } from './compaction.js';
import type { EventStore } from './store.js';
import { whySeqs } from './why.js';

export interface CompactOptions {
  /** keep every event of the last N boots: cut at the end of the boot before them */
  keepBoots?: number;
  /** cut before the first event at or after this time (ms) */
  before?: number;
  onCorrupt: OnCorrupt;
  /** hears what cannot be helped (a compaction snapshot of an older fold) */
  report?: (message: string) => void;
}

/** What a cut removes and keeps: a compaction reports it, `compact --dry-run` foretells it. */
interface CutFigures {
  through: number;
  /** records removed (or that would be) */
  removed: number;
  /** seqs at or below the cut that stay: the why history of the containers in the final state */
  kept: number;
  apps: string[];
}

export type CompactResult =
  | { compacted: false; why: string }
  | (CutFigures & {
    compacted: true;
    /** the state hash at the end of the log, as folded before the compaction */
    stateHash: string;
    compaction: Compaction;
  });

/** What `compact --dry-run` says a compaction would do; nothing is changed to learn it. */
export type CompactPreview =
  | { compacted: false; why: string }
  | (CutFigures & {
    /** boots every event of which is at or before the cut (their why history aside) */
    boots: number[];
  });

/** Where the cut falls, the state there and at the end, and how many records lie between the last cut and this one. */
interface Cut { base: { seq: number }; atCut: State; state: State; records: number }

async function findCut(store: EventStore, o: CompactOptions): Promise<Cut | { compacted: false; why: string }> {
  if (o.keepBoots === undefined && o.before === undefined) throw new RangeError('compact: give keepBoots or before');
  let limit = Infinity;
  if (o.keepBoots !== undefined) {
    const boots = await store.boots();
    if (boots.length <= o.keepBoots) return { compacted: false, why: `the log has ${boots.length} boot(s), all of them kept (--keep-boots ${o.keepBoots})` };
    limit = boots[boots.length - o.keepBoots - 1]!.last;
  }

  // One pass: the state at the cut (the first event past the limit or at/after `before` ends it) and at the end.
  const base = await historyBase(store, o.report);
  const folding = new ChunkedFold(base.state); // a chunk ends at the cut
  let atCut: State | undefined;
  let records = 0;
  for await (const batch of store.readBatches({ since: base.seq })) {
    for (const item of batch) {
      if (!item.ok) { o.onCorrupt(item.seq, item.reason); if (!atCut) records += 1; continue; }
      const e = item.event;
      if (!atCut && (e.seq > limit || (o.before !== undefined && e.at >= o.before))) atCut = folding.flush();
      if (!atCut) records += 1;
      folding.push(e);
    }
  }
  const state = folding.flush();
  return { base, atCut: atCut ?? state, state, records };
}

/** The seqs at or below `through` the why history of every container of `state` needs. */
async function keptSeqs(store: EventStore, state: State, through: number, onCorrupt: OnCorrupt): Promise<{ apps: string[]; kept: Set<number> }> {
  const apps = Object.keys(state.containers).sort();
  const kept = new Set<number>();
  for (const app of apps) for (const seq of await whySeqs(store, app, onCorrupt)) if (seq <= through) kept.add(seq);
  return { apps, kept };
}

export async function previewCompaction(store: EventStore, o: CompactOptions): Promise<CompactPreview> {
  const cut = await findCut(store, o);
  if ('compacted' in cut) return cut;
  const through = cut.atCut.seq;
  if (through <= cut.base.seq) return { compacted: false, why: `nothing before the cut: the log ${cut.base.seq > 0 ? `was compacted through #${cut.base.seq}` : 'starts'} there` };
  const { apps, kept } = await keptSeqs(store, cut.state, through, o.onCorrupt);
  const keptHere = [...kept].filter((seq) => seq > cut.base.seq).length;
  const boots = (await store.boots()).filter((b) => b.last <= through).map((b) => b.boot);
  return { through, removed: cut.records - keptHere, kept: kept.size, apps, boots };
}

export async function compactStore(store: EventStore, o: CompactOptions): Promise<CompactResult> {
  const cut = await findCut(store, o);
  if ('compacted' in cut) return cut;
  const { base, atCut, state } = cut;
  const through = atCut.seq;
  if (through <= base.seq) {
    // Nothing new to cut; but a run interrupted after recording its cut may have left records to remove.
    const c = store.compaction;
    const finished = c ? await store.compact(c.through, c.kept, (await store.getSnapshot(c.through))!) : undefined;
    if (c && finished && finished.removed > c.removed) {
      return { compacted: true, through: c.through, removed: finished.removed - c.removed, kept: c.kept.length, apps: [], stateHash: stateHash(state), compaction: finished };
    }
    return { compacted: false, why: `nothing before the cut: the log ${base.seq > 0 ? `was compacted through #${base.seq}` : 'starts'} there` };
  }

  const { apps, kept } = await keptSeqs(store, state, through, o.onCorrupt);
  const removedBefore = store.compaction?.removed ?? 0;
  const compaction = await store.compact(through, kept, encodeSnapshot(atCut));
  return { compacted: true, through, removed: compaction.removed - removedBefore, kept: compaction.kept.length, apps, stateHash: stateHash(state), compaction };
}
