// `why APP --all` from entries kept in the store once they can no longer change, so a long history is
// not explained again on every ask: read whole, `why --all` of an app with 4,000 actions on a 1M-event
// log read and decoded ~25,000 records to print 4,000 entries (docs/benchmarks.md, issue 15).
//
// why!e!<app>!<seq16> holds `explain`'s entry (no summaries, as the command line asks) for the app's
// audited action at seq; why!h!<app> says how far they go: every audited action of the app at or below
// `through` has its entry there, none above does. `why --all` reads those entries, then explains only
// what comes after `through` the usual way (`whyEvents` from `through`), and prints both in order.
//
// Beside each entry, why!t!<app>!<seq> holds its text as `why --all` prints it, so the plain form (no
// --json, no --at) prints what it reads. The text is used only while today's renderer makes the same
// text as the one that wrote it did (the horizon keeps the renderer's text of sample entries that take
// each of its branches): a renderer changed by an upgrade falls back to rendering the kept entries.
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
import { explain, renderWhy, type WhyEntry } from '../core/why.js';
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
const textPrefix = (app: string): string => `t!${app}!`;

/** The kept entries of `app`, or undefined when there are none to trust (never kept, another compaction, damaged). */
export async function readWhyView(w: LogWriter, app: string): Promise<WhyView | undefined> {
  const through = horizonOf(await w.sub.why.get(horizonKey(app)), w.compaction?.through ?? 0);
  if (through === undefined) return undefined;
  const entries: WhyEntry[] = [];
  for await (const [key, value] of ranged(w.sub.why, entryPrefix(app), through)) {
    const entry = parse(value);
    const seq = Number(key.slice(entryPrefix(app).length));
    if (!isWhyEntry(entry, app, seq) || seq <= (entries.at(-1)?.action.seq ?? 0)) return undefined;
    entries.push(entry);
  }
  return { through, entries };
}

/**
 * What `why APP --all` needs from a source: the entries it keeps for the app (none, through 0, where it
 * keeps none) and the app's records after them with what their chains reach; `explainAfter` joins them.
 */
export async function whyAllParts(lookup: EventLookup, app: string, onCorrupt: OnCorrupt, opts: { text?: boolean } = {}): Promise<WhyParts> {
  const text = opts.text ? await lookup.whyText?.(app) : undefined;
  const view = text ? undefined : await lookup.whyView?.(app);
  const through = text?.through ?? view?.through ?? 0;
  const { events } = await whyEvents(lookup, app, { all: true, onCorrupt, ...(through > 0 ? { since: through } : {}) });
  return { kept: view?.entries ?? [], ...(text ? { texts: text.texts } : {}), through, events };
}

/** `whyAllParts`: the kept entries (or, asked for text, their texts), how far they go, and the records after. */
export interface WhyParts {
  kept: WhyEntry[];
  /** the kept entries' texts, in seq order, when text was asked for and the source keeps it (`kept` is then empty) */
  texts?: string[];
  through: number;
  events: Envelope[];
}

/** The kept texts of `app`'s entries (see the top of this file), or undefined when there are none to trust. */
export async function readWhyText(w: LogWriter, app: string): Promise<{ through: number; texts: string[] } | undefined> {
  const through = horizonOf(await w.sub.why.get(horizonKey(app)), w.compaction?.through ?? 0, renderFingerprint());
  if (through === undefined) return undefined;
  const texts: string[] = [];
  let last = 0;
  for await (const [key, value] of ranged(w.sub.why, textPrefix(app), through)) {
    const seq = Number(key.slice(textPrefix(app).length));
    if (!(seq > last) || textSeq(value) !== seq) return undefined;
    last = seq;
    texts.push(value);
  }
  return { through, texts };
}

/** The records of `prefix` up to the seq `through`, a chunk at a time. */
async function* ranged(sub: Sub, prefix: string, through: number): AsyncGenerator<[string, string]> {
  const it = sub.iterator({ ...HWM, gt: prefix, lte: `${prefix}${pad(through)}` });
  try {
    for (let chunk = await it.nextv(READ_CHUNK); chunk.length > 0; chunk = await it.nextv(READ_CHUNK)) yield* chunk;
  } finally {
    await it.close();
  }
}

/** What the renderer makes of entries that take each of its branches: kept texts must have been made by the same. */
let fingerprint: string | undefined;
function renderFingerprint(): string {
  const link = { seq: 1, type: 'HostFactsObserved', at: 0, summary: 's', changes: [{ name: 'HOST_IP', from: '10.0.0.1', to: null }] };
  return (fingerprint ??= renderWhy([
    {
      action: { seq: 3, kind: 'recreate', app: 'a', at: 86_400_000, correlation: 'c' },
      reasons: [{ code: 'spec-changed', field: 'env.X', from: 'x', to: '(secret)', message: 'm', causedBy: 1, cause: [link, { seq: 2, type: 'ContainerExited', at: 1, app: 'a', summary: 'a s' }] }, { code: 'bare' }],
      outcome: { seq: 4, type: 'ActionSucceeded', at: 5, summary: '', container: 'c1' },
      effects: [{ seq: 5, type: 'ContainerStarted', at: 6, container: 'c1', summary: '' }],
    },
    { action: { seq: 6, kind: 'start', app: 'a', at: 7 }, reasons: [], effects: [] },
  ]));
}

/**
 * Kept entries or texts as another process sent them (the daemon, over its control socket), checked
 * as a read from the store checks them: anything else is none.
 */
export function checkedView(x: unknown, app: string): WhyView | undefined {
  if (!isObject(x) || !isSeq(x.through) || !Array.isArray(x.entries)) return undefined;
  let last = 0;
  for (const e of x.entries as unknown[]) {
    const seq = isObject(e) && isObject(e.action) ? e.action.seq : undefined;
    if (!isSeq(seq) || seq <= last || seq > x.through || !isWhyEntry(e, app, seq)) return undefined;
    last = seq;
  }
  return { through: x.through, entries: x.entries as WhyEntry[] };
}

/** `checkedView` for kept texts. */
export function checkedText(x: unknown): { through: number; texts: string[] } | undefined {
  if (!isObject(x) || !isSeq(x.through) || !Array.isArray(x.texts)) return undefined;
  let last = 0;
  for (const t of x.texts as unknown[]) {
    const seq = typeof t === 'string' ? textSeq(t) : undefined;
    if (seq === undefined || seq <= last || seq > x.through) return undefined;
    last = seq;
  }
  return { through: x.through, texts: x.texts as string[] };
}

/** The seq a kept text is of (`#<seq> …`, ending in a line break), or undefined when it is not one. */
function textSeq(text: string): number | undefined {
  const m = /^#(\d{1,16}) /.exec(text);
  return m && text.endsWith('\n') ? Number(m[1]) : undefined;
}

/** `through` of a horizon record made under the store's compaction (and, for texts, by today's renderer), else undefined. */
function horizonOf(raw: string | undefined, compaction: number, render?: string): number | undefined {
  const h = raw === undefined ? undefined : parse(raw);
  if (!isObject(h) || h.version !== VERSION || h.compaction !== compaction || !isSeq(h.through)) return undefined;
  if (render !== undefined && h.render !== render) return undefined;
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
      ops.push(
        { type: 'put', sublevel: w.sub.why, key: `${entryPrefix(app)}${pad(seq)}`, value: JSON.stringify(entry) },
        { type: 'put', sublevel: w.sub.why, key: `${textPrefix(app)}${pad(seq)}`, value: renderWhy([entry]) },
      );
    }
    if (ops.length === 0 && through === from && horizonOf(rawHorizon, compaction) !== undefined) continue; // nothing new
    const horizon = JSON.stringify({ version: VERSION, compaction, through, render: renderFingerprint() });
    const wrote = await w.task(async () => {
      // a compaction or import meanwhile changed what these entries say: leave them for the next run
      if ((w.compaction?.through ?? 0) !== compaction || (await w.sub.why.get(horizonKey(app))) !== rawHorizon) return false;
      // entries kept under another compaction are stale: a horizon from scratch starts with none
      if (from === 0 && rawHorizon !== undefined) for (const prefix of [entryPrefix(app), textPrefix(app)]) await w.sub.why.clear({ gt: prefix, lt: `${prefix}~` });
      await w.commit([...ops, { type: 'put', sublevel: w.sub.why, key: horizonKey(app), value: horizon }], false);
      return true;
    });
    if (wrote) added += ops.length / 2;
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
