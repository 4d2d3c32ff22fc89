// Data loading for `why APP` and `events --app APP` that does not read the whole log: through the
// store's indexes, the daemon's control socket (same reads), or one filtering pass over an export.
import type { Envelope } from '../core/events.js';
import { collect, type OnCorrupt } from '../log/fold.js';
import { whyEvents } from '../log/why.js';
import { openLog } from './source.js';

export interface LogOptions {
  data: string;
  log?: string;
}

/** What `explain(events, app)` needs; with `all: false`, only for the app's last audited action. */
export async function loadWhyEvents(o: LogOptions, app: string, all: boolean, onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    return (await whyEvents(source.lookup, app, { all, onCorrupt })).events;
  } finally {
    await source.close();
  }
}

/** Events of one app (by its index), of one boot or after a seq; the whole log when no filter is given. */
export async function loadSelectedEvents(o: LogOptions, f: { app?: string; boot?: number; since?: number }, onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    const filtered = f.app !== undefined || f.boot !== undefined || f.since !== undefined;
    const read = { ...(f.app !== undefined ? { app: f.app } : {}), ...(f.boot !== undefined ? { boot: f.boot } : {}), ...(f.since !== undefined ? { since: f.since } : {}) };
    return await collect(filtered ? source.lookup.read(read) : source.items, onCorrupt);
  } finally {
    await source.close();
  }
}
