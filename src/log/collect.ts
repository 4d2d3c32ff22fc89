// Reading items into a list of events, without the fold (fold.ts): what readers that keep events (why,
// events) load.
import type { Envelope } from '../core/events.js';
import type { ReadItem } from './reader.js';

export type OnCorrupt = (seq: number, reason: string) => void;

export const isBatch = (x: ReadItem | readonly ReadItem[]): x is readonly ReadItem[] => Array.isArray(x);

/** The events of `items`, which may come one by one or in batches (an async step per batch, not per event). */
export async function collect(items: AsyncIterable<ReadItem | readonly ReadItem[]>, onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const events: Envelope[] = [];
  const take = (item: ReadItem) => {
    if (item.ok) events.push(item.event);
    else onCorrupt(item.seq, item.reason);
  };
  for await (const got of items) {
    if (isBatch(got)) for (const item of got) take(item);
    else take(got);
  }
  return events;
}
