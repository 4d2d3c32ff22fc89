// Data loading for `why APP` and `events --app APP` that does not read the whole log: through the
// store's indexes, the daemon's control socket (same reads), or one filtering pass over an export.
import type { Envelope } from '../core/events.js';
import { collect, type OnCorrupt } from '../log/collect.js';
import type { ReadItem, ReadOptions } from '../log/store.js';
import { whyEvents } from '../log/why.js';
import { whyAllParts, type WhyParts } from '../log/why-view.js';
import { openLog } from './source.js';

export interface LogOptions {
  data: string;
  log?: string;
}

/**
 * What `explain(events, app)` needs; with `all: false`, only for the app's last audited action (at or
 * before the point `atOrBefore` accepts, when given).
 */
export async function loadWhyEvents(o: LogOptions, app: string, all: boolean, onCorrupt: OnCorrupt, atOrBefore?: (e: Envelope) => boolean): Promise<Envelope[]> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    return (await whyEvents(source.lookup, app, { all, onCorrupt, ...(atOrBefore ? { atOrBefore } : {}) })).events;
  } finally {
    await source.close();
  }
}

/**
 * What `why APP --all` prints, in two parts: the entries the store keeps for the app (why-view.ts: every
 * audited action at or below `through`), and the app's records after `through` with what their
 * chains reach, for `explain` to make the rest. A source that keeps none gives `through` 0: all is explained.
 */
export async function loadWhyAll(o: LogOptions, app: string, onCorrupt: OnCorrupt, opts: { text?: boolean } = {}): Promise<WhyParts> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    return await whyAllParts(source.lookup, app, onCorrupt, opts);
  } finally {
    await source.close();
  }
}

/**
 * Events of one app (by its index), of one boot or within seqs; the whole log when no filter is given.
 * `last` is the highest seq read, where a follower goes on from.
 */
export async function loadSelectedEvents(o: LogOptions, read: ReadOptions, onCorrupt: OnCorrupt): Promise<{ events: Envelope[]; last: number }> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    const filtered = Object.keys(read).length > 0;
    let last = 0;
    const seen = (items: AsyncIterable<ReadItem>) => tap(items, (item) => void (last = Math.max(last, item.ok ? item.event.seq : item.seq)));
    const events = await collect(seen(filtered ? source.lookup.read(read) : source.items), onCorrupt);
    return { events, last };
  } finally {
    await source.close();
  }
}

async function* tap<T>(items: AsyncIterable<T>, look: (item: T) => void): AsyncGenerator<T> {
  for await (const item of items) {
    look(item);
    yield item;
  }
}

/** Whether the log holds a record at `seq` (decodable or not): a cheap look before reading it whole. */
export async function holdsSeq(o: LogOptions, seq: number): Promise<boolean> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    return (await source.lookup.getMany([seq]))[0] !== undefined;
  } finally {
    await source.close();
  }
}
