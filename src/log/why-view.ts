// `why APP --all` from entries kept in the store once they can no longer change, so a long history is
// not explained again on every ask: read whole, `why --all` of an app with 4,000 actions on a 1M-event
// log read and decoded ~25,000 records to print 4,000 entries (docs/benchmarks.md, issue 15).
//
// why!e!<app>!<seq16> holds `explain`'s entry (no summaries, as the command line asks) for the app's
// audited action at seq; why!h!<app> says how far they go: every audited action of the app at or below
// `through` has its entry there, none above does. `why --all` reads those entries, then explains only
// what comes after `through` the usual way (`whyEvents` from `through`), and prints both in order.
//
// An entry is final, and only then kept, when nothing appended later can change it: its outcome is
// recorded and it failed, or it succeeded and the app's container started after it (its one effect);
// or it has no outcome and a later boot began (an action's outcome is written by the reconciler that
// started it, in its own boot: a later boot never writes one). Every other part of an entry (its
// reasons' chains, the facts' previous values) lies before the action.
//
// The entries are derived data: the daemon adds to them after each snapshot (`materializeWhy`); a
// compaction or an import removes them all (each changes what `explain` would say of past actions), and
// a horizon recorded under another compaction than the store's is ignored, so a store compacted by an
// older podledger falls back to the full read. A reader that finds anything it does not expect in them
// reads the app the full way instead.
import type { Envelope } from '../core/events.js';
import type { WhyEntry } from '../core/why.js';
import { explain } from '../core/why.js';
import { HWM, READ_CHUNK, pad, type BatchOp, type BootRecord, type Sub } from './keys.js';
import type { OnCorrupt } from './collect.js';
import type { EventLookup } from './reader.js';
import { whyEvents } from './why.js';
import type { LogWriter } from './writer.js';

/** the layout of why!: a reader finding another version reads the full way */
const VERSION = 1;

/** An app's kept entries: every audited action at or below `through`, in seq order. */
export interface WhyView {
  through: number;
  entries: WhyEntry[];
}

const horizonKey = (app: string): string => `h!${app}`;
const entryPrefix = (app: string): string => `e!${app}!`;

/** The kept entries of `app`, or undefined when there are none to trust (never kept, another compaction, damaged). */
export async function readWhyView(w: LogWriter, app: string): Promise<WhyView | undefined> {
  const through = horizonOf(await w.sub.why.get(horizonKey(app)), w.compaction?.through ?? 0);
  if (through === undefined) return undefined;
  const entries: WhyEntry[] = [];
  const it = w.sub.why.iterator({ ...HWM, gt: entryPrefix(app), lte: `${entryPrefix(app)}${pad(through)}` });
  try {
    for (let chunk = await it.nextv(READ_CHUNK); chunk.length > 0; chunk = await it.nextv(READ_CHUNK)) {
      for (const [key, value] of chunk) {
        const entry = parse(value);
        const seq = Number(key.slice(entryPrefix(app).length));
        if (!isWhyEntry(entry, app, seq) || seq <= (entries.at(-1)?.action.seq ?? 0)) return undefined;
        entries.push(entry);
      }
    }
  } finally {
    await it.close();
  }
  return { through, entries };
}

/**
 * What `why APP --all` needs from a source: the entries it keeps for the app (none, through 0, where it
 * keeps none) and the app's records after them with what their chains reach; `explainAfter` joins them.
 */
export async function whyAllParts(lookup: EventLookup, app: string, onCorrupt: OnCorrupt): Promise<{ kept: WhyEntry[]; through: number; events: Envelope[] }> {
  const view = await lookup.whyView?.(app);
  const through = view?.through ?? 0;
  const { events } = await whyEvents(lookup, app, { all: true, onCorrupt, ...(through > 0 ? { since: through } : {}) });
  return { kept: view?.entries ?? [], through, events };
}

/** `through` of a horizon record made under the store's compaction, else undefined. */
function horizonOf(raw: string | undefined, compaction: number): number | undefined {
  const h = raw === undefined ? undefined : parse(raw);
  if (!isObject(h) || h.version !== VERSION || h.compaction !== compaction || !isSeq(h.through)) return undefined;
  return h.through;
}

/**
 * Keep every app's entries that became final since its horizon (a writer's job: the daemon runs it
 * after each snapshot). Returns how many entries were added. An app whose records do not all decode
 * is left as it was: its damage is for the full read to report.
 */
export async function materializeWhy(w: LogWriter, lookup: EventLookup & { boots(): Promise<BootRecord[]> }): Promise<{ apps: number; entries: number }> {
  let added = 0;
  const apps = await appsIn(w.sub.ixApp);
  for (const app of apps) {
    const compaction = w.compaction?.through ?? 0;
    const rawHorizon = await w.sub.why.get(horizonKey(app));
    const from = horizonOf(rawHorizon, compaction) ?? 0;
    const upTo = w.lastSeq; // judged on what was written when the read began; later appends wait for the next run
    let damaged = false;
    const { events } = await whyEvents(lookup, app, { all: true, since: from, onCorrupt: () => void (damaged = true) });
    if (damaged) continue;
    const boots = await lookup.boots();
    const lastBootFirst = Math.max(0, ...boots.map((b) => b.first));
    const ops: BatchOp[] = [];
    let through = upTo;
    for (const entry of explain(events, app, { summaries: false })) {
      const seq = entry.action.seq;
      if (seq <= from) continue; // a chain link of a later entry, already kept
      if (seq > upTo) break;
      if (!isFinal(entry, lastBootFirst)) {
        through = seq - 1;
        break;
      }
      ops.push({ type: 'put', sublevel: w.sub.why, key: `${entryPrefix(app)}${pad(seq)}`, value: JSON.stringify(entry) });
    }
    if (ops.length === 0 && through === from && horizonOf(rawHorizon, compaction) !== undefined) continue; // nothing new
    const horizon = JSON.stringify({ version: VERSION, compaction, through });
    const wrote = await w.task(async () => {
      // a compaction or import meanwhile changed what these entries say: leave them for the next run
      if ((w.compaction?.through ?? 0) !== compaction || (await w.sub.why.get(horizonKey(app))) !== rawHorizon) return false;
      // entries kept under another compaction are stale: a horizon from scratch starts with none
      if (from === 0 && rawHorizon !== undefined) await w.sub.why.clear({ gt: entryPrefix(app), lt: `${entryPrefix(app)}~` });
      await w.commit([...ops, { type: 'put', sublevel: w.sub.why, key: horizonKey(app), value: horizon }], false);
      return true;
    });
    if (wrote) added += ops.length;
  }
  return { apps: apps.length, entries: added };
}

/** Remove every kept entry and horizon: compaction and import do, as a writer task's first step. */
export async function forgetWhyViews(w: LogWriter): Promise<void> {
  await w.sub.why.clear();
}

/** Whether anything appended after it could still change `explain`'s entry (see the top of this file). */
export function isFinal(entry: WhyEntry, lastBootFirst: number): boolean {
  if (!entry.outcome) return lastBootFirst > entry.action.seq;
  return entry.outcome.type === 'ActionFailed' || entry.effects.length > 0;
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

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isSeq = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const optional = (x: unknown, is: (y: unknown) => boolean): boolean => x === undefined || is(x);
const listOf = (x: unknown, is: (y: unknown) => boolean): boolean => Array.isArray(x) && x.every(is);

/** A kept entry as `why` renders it and `whyData` reads it: every field it uses, of its type. */
export function isWhyEntry(x: unknown, app: string, seq: number): x is WhyEntry {
  if (!isObject(x) || !isObject(x.action) || !listOf(x.reasons, isReason) || !listOf(x.effects, isEffect) || !optional(x.outcome, isOutcome)) return false;
  const a = x.action;
  return a.seq === seq && isStr(a.kind) && a.app === app && isNum(a.at) && optional(a.correlation, isStr);
}

function isReason(x: unknown): boolean {
  return isObject(x) && isStr(x.code) && optional(x.field, isStr) && optional(x.message, isStr) && optional(x.causedBy, isSeq) && optional(x.cause, (c) => listOf(c, isLink));
}

function isLink(x: unknown): boolean {
  return isObject(x) && isSeq(x.seq) && isStr(x.type) && isNum(x.at) && optional(x.app, isStr) && isStr(x.summary)
    && optional(x.changes, (c) => listOf(c, (ch) => isObject(ch) && isStr(ch.name) && 'from' in ch && 'to' in ch));
}

function isOutcome(x: unknown): boolean {
  return isObject(x) && isSeq(x.seq) && (x.type === 'ActionSucceeded' || x.type === 'ActionFailed') && isNum(x.at) && isStr(x.summary)
    && optional(x.container, isStr) && optional(x.error, (e) => isObject(e) && isStr(e.code) && isStr(e.message));
}

function isEffect(x: unknown): boolean {
  return isObject(x) && isSeq(x.seq) && isStr(x.type) && isNum(x.at) && isStr(x.container) && isStr(x.summary);
}
