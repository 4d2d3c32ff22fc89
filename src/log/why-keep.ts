// Keeping `why --all`'s entries (why-view.ts has the layout and the reading): after each snapshot the
// daemon explains, per app, only what came after its horizon, keeps the entries nothing later can
// change but their effect, gives the entries awaiting one the app's first start since, and moves the
// horizon, in one batch per app.
import type { EnvelopeOf } from '../core/events.js';
import { explain, renderWhy, type WhyEntry } from '../core/why.js';
import { pad, parseStored, type BatchOp, type BootRecord, type Sub } from './keys.js';
import type { EventLookup } from './reader.js';
import { entryPrefix, horizonKey, horizonOf, isWhyEntry, renderFingerprint, textPrefix, VERSION, type Horizon } from './why-view.js';
import { whyEvents } from './why.js';
import type { LogWriter } from './writer.js';

/**
 * Keep every app's entries that became final since its horizon (a writer's job: the daemon runs it
 * after each snapshot). Returns how many entries were added. An app whose records do not all decode
 * is left as it was: its damage is for the full read to report. A first run on a long log takes a
 * while (1M events: ~15-20 s); `signal` ends it after the app in hand.
 */
export async function materializeWhy(w: LogWriter, lookup: EventLookup & { boots(): Promise<BootRecord[]> }, signal?: AbortSignal): Promise<{ apps: number; entries: number }> {
  let added = 0;
  const apps = await appsIn(w.sub.ixApp);
  // read once: a boot begun meanwhile only keeps less this run (an entry it ends waits for the next)
  const lastBootFirst = Math.max(0, ...(await lookup.boots()).map((b) => b.first));
  // aborted (the daemon stopping): the apps not reached yet are kept by the next run
  for (const app of apps) if (!signal?.aborted) added += await keepApp(w, lookup, app, lastBootFirst);
  // Many kept at once (a log kept for the first time): LevelDB is asked to compact them now, as it would
  // over time, so the first `why --all` after does not read them through many overlapping young files.
  if (added >= BULK) await (w.db as unknown as { compactRange(start: string, end: string): Promise<void> }).compactRange(w.sub.why.prefix, `${w.sub.why.prefix}~`);
  return { apps: apps.length, entries: added };
}

/** entries kept in one run above which their range is compacted at once (1M events: 125,000 entries) */
const BULK = 10_000;

async function keepApp(w: LogWriter, lookup: EventLookup, app: string, lastBootFirst: number): Promise<number> {
  const compaction = w.compaction?.through ?? 0;
  const rawHorizon = await w.sub.why.get(horizonKey(app));
  const was = horizonOf(rawHorizon, compaction);
  const from = was?.through ?? 0;
  const upTo = w.lastSeq; // judged on what was written when the read began; later records wait for the next run
  let damaged = false;
  const { events } = await whyEvents(lookup, app, { all: true, since: from, onCorrupt: () => void (damaged = true) });
  if (damaged) return 0;
  const ops: BatchOp[] = [];
  const put = (entry: WhyEntry) => ops.push(
    { type: 'put', sublevel: w.sub.why, key: `${entryPrefix(app)}${pad(entry.action.seq)}`, value: JSON.stringify(entry) },
    { type: 'put', sublevel: w.sub.why, key: `${textPrefix(app)}${pad(entry.action.seq)}`, value: renderWhy([entry]) },
  );

  // the kept entries awaiting an effect get the app's first start after the horizon, if there is one now
  let awaiting = was?.awaiting ?? [];
  const started = events.find((e): e is EnvelopeOf<'ContainerStarted'> => e.type === 'ContainerStarted' && e.app === app && e.seq > from && e.seq <= upTo);
  if (started && awaiting.length > 0) {
    const kept = await w.sub.why.getMany(awaiting.map((s) => `${entryPrefix(app)}${pad(s)}`));
    for (const [i, raw] of kept.entries()) {
      const entry = raw === undefined ? undefined : parseStored(raw);
      if (!isWhyEntry(entry, app, awaiting[i]!)) return 0; // damaged: the full read answers until a compaction or import starts afresh
      put({ ...entry, effects: [{ seq: started.seq, type: started.type, at: started.at, container: started.data.id, summary: '' }] });
    }
    awaiting = [];
  }

  let through = upTo;
  const fresh: number[] = [];
  for (const entry of explain(events, app, { summaries: false })) {
    const seq = entry.action.seq;
    if (seq <= from) continue; // a chain link of a later entry, already kept
    if (seq > upTo) break;
    const state = keepable(entry, upTo, lastBootFirst);
    if (state === 'no') {
      through = seq - 1;
      break;
    }
    put(entry);
    if (state === 'awaiting') fresh.push(seq);
  }
  if (ops.length === 0 && through === from && was) return 0; // nothing new
  const horizon: Horizon = { version: VERSION, compaction, through, awaiting: [...awaiting, ...fresh], render: renderFingerprint() };
  const entries = ops.length / 2;
  return w.task(async () => {
    // a compaction or import meanwhile changed what these entries say: leave them for the next run
    if ((w.compaction?.through ?? 0) !== compaction || (await w.sub.why.get(horizonKey(app))) !== rawHorizon) return 0;
    // entries kept under another compaction are stale: a horizon from scratch starts with none
    if (!was && rawHorizon !== undefined) for (const prefix of [entryPrefix(app), textPrefix(app)]) await w.sub.why.clear({ gt: prefix, lt: `${prefix}~` });
    await w.commit([...ops, { type: 'put', sublevel: w.sub.why, key: horizonKey(app), value: JSON.stringify(horizon) }], false);
    return entries;
  });
}

/** Remove every kept entry and horizon: compaction and import do, as a writer task's first step. */
export async function forgetWhyViews(w: LogWriter): Promise<void> {
  await w.sub.why.clear();
}

/**
 * Whether an entry can be kept: 'yes' when nothing appended later can change it, 'awaiting' when only
 * its effect can still come (it succeeded; none yet), 'no' otherwise. Everything it names must lie at
 * or below `upTo`, so that what comes after the horizon is all after it.
 */
export function keepable(entry: WhyEntry, upTo: number, lastBootFirst: number): 'yes' | 'awaiting' | 'no' {
  if (!entry.outcome) return lastBootFirst > entry.action.seq ? 'yes' : 'no';
  if (entry.outcome.seq > upTo || entry.effects.some((x) => x.seq > upTo)) return 'no';
  if (entry.outcome.type === 'ActionFailed' || entry.effects.length > 0) return 'yes';
  return 'awaiting';
}

/** The apps with records in ix-app (keys `<app>!<seq16>`), each found by one seek past the last. */
async function appsIn(ixApp: Sub): Promise<string[]> {
  const apps: string[] = [];
  for (let after = ''; ;) {
    const [key] = await ixApp.keys(after === '' ? { limit: 1 } : { gt: `${after}!~`, limit: 1 }).all();
    if (key === undefined) return apps;
    after = key.slice(0, key.lastIndexOf('!'));
    apps.push(after);
  }
}
