// Folding a whole log into state, from a store or from any stream of read items (replay).
import { evolve } from '../core/evolve.js';
import type { Envelope } from '../core/events.js';
import { initialState, type State } from '../core/state.js';
import type { EventStore, ReadItem } from './store.js';

export type OnCorrupt = (seq: number, reason: string) => void;

export async function foldItems(items: AsyncIterable<ReadItem>, onCorrupt: OnCorrupt, until = Infinity): Promise<State> {
  let state = initialState;
  for await (const item of items) {
    if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
    if (item.event.seq > until) break;
    state = evolve(state, item.event);
  }
  return state;
}

export function foldStore(store: EventStore, onCorrupt: OnCorrupt): Promise<State> {
  return foldItems(store.read(), onCorrupt);
}

export async function collect(items: AsyncIterable<ReadItem>, onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const events: Envelope[] = [];
  for await (const item of items) {
    if (item.ok) events.push(item.event);
    else onCorrupt(item.seq, item.reason);
  }
  return events;
}
