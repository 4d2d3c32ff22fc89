// Folding a whole log into state, from a store or from any stream of read items (replay), and the
// daemon's start: the latest trusted snapshot (snapshots.ts) and the events after it.
import { ChunkedFold } from '../core/evolve.js';
import { initialState, type State } from '../core/state.js';
import { checkSnapshot, historyBase } from './snapshots.js';
import type { ReadItem } from './reader.js';
import { isBatch, type OnCorrupt } from './collect.js';
import type { EventStore } from './store.js';

export { collect, type OnCorrupt } from './collect.js';

/**
 * Fold `items` onto `from`; items at or below `from.seq` are skipped (a base already holds them).
 * Events are folded in chunks of FOLD_CHUNK (`foldChunk`: the same state as one `evolve` per event);
 * items may come one by one or in batches (`EventStore.readBatches`, `readNdjsonBatches`). `onChunk` hears the state after each chunk and how many events it folded;
 * `cutAfter(seq)` ends a chunk after that event, for a caller that needs the state at a given seq.
 */
export async function foldItems(
  items: AsyncIterable<ReadItem | readonly ReadItem[]>, onCorrupt: OnCorrupt, until = Infinity, from: State = initialState,
  opts: { onChunk?: (s: State, folded: number) => void; cutAfter?: (seq: number) => boolean } = {},
): Promise<State> {
  const folding = new ChunkedFold(from, opts.onChunk);
  /** false once past `until` */
  const take = (item: ReadItem): boolean => {
    if (!item.ok) { onCorrupt(item.seq, item.reason); return true; }
    if (item.event.seq > until) return false;
    if (item.event.seq <= from.seq) return true;
    folding.push(item.event);
    if (opts.cutAfter?.(item.event.seq)) folding.flush();
    return true;
  };
  // items one by one, or in batches (EventStore.readBatches): the same fold
  outer: for await (const got of items) {
    if (!isBatch(got)) {
      if (!take(got)) break;
      continue;
    }
    for (const item of got) if (!take(item)) break outer;
  }
  return folding.flush();
}


/** The full fold of a store: from the start, or from the state a compaction left at its cut. */
export async function foldStore(store: EventStore, onCorrupt: OnCorrupt): Promise<State> {
  const base = await historyBase(store);
  return foldItems(store.readBatches({ since: base.seq }), onCorrupt, Infinity, base.state);
}

export interface LoadedState {
  state: State;
  /** the seq folding started after: a snapshot's, the compaction cut, or 0 */
  from: number;
  startedFrom: 'snapshot' | 'compaction' | 'start';
  /** how many events were folded after `from` */
  folded: number;
  /** snapshots passed over, newest first */
  rejected: { seq: number; reason: string }[];
}

/**
 * The projection of a store, started from its latest trusted snapshot and folded over the tail.
 * `report` hears about unusable snapshots as they are passed over.
 */
export async function loadState(
  store: EventStore,
  opts: { onCorrupt: OnCorrupt; report?: (message: string, seq: number) => void },
): Promise<LoadedState> {
  const rejected: { seq: number; reason: string }[] = [];
  const base = await historyBase(store, (m) => opts.report?.(m, store.compaction!.through));
  let start: { seq: number; state: State; from: LoadedState['startedFrom'] } | undefined;
  for (const seq of await store.snapshotSeqs()) {
    if (seq <= base.seq) break; // the compaction's own, or older than the cut (events after it are gone)
    const check = seq > store.lastSeq ? { ok: false as const, reason: `past the end of the log (#${store.lastSeq})` } : checkSnapshot(seq, await store.getSnapshot(seq));
    if (check.ok) {
      start = { seq, state: check.state, from: 'snapshot' };
      break;
    }
    rejected.push({ seq, reason: check.reason });
    opts.report?.(`snapshot at #${seq} ignored: ${check.reason}`, seq);
  }
  start ??= { ...base, from: base.seq > 0 ? 'compaction' : 'start' };
  let folded = 0;
  const state = await foldItems(store.readBatches({ since: start.seq }), opts.onCorrupt, Infinity, start.state, { onChunk: (_, n) => void (folded += n) });
  return { state, from: start.seq, startedFrom: start.from, folded, rejected };
}
