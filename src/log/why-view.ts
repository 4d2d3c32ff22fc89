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
// An entry is kept once nothing appended later can change it but its effect: its outcome is recorded
// (failed, or succeeded), or it has none and a later boot began (an action's outcome is written by the
// reconciler that started it, in its own boot: a later boot never writes one). Every other part of an
// entry (its reasons' chains, the facts' previous values) lies before the action. A succeeded entry
// with no effect yet is kept as `awaiting` in the horizon: its effect is the app's first
// ContainerStarted after it, which a reader finds among the records after `through` (there is none at or
// below it, or the entry would have it) and the next keeping writes into it.
//
// The entries are derived data: the daemon adds to them after each snapshot (why-keep.ts); a
// compaction or an import removes them all (each changes what `explain` would say of past actions), and
// a horizon recorded under another compaction than the store's is ignored, so a store compacted by an
// older podledger falls back to the full read. A reader that finds anything it does not expect in them
// reads the app the full way instead.
import type { Envelope, EnvelopeOf } from '../core/events.js';
import { renderWhy, type WhyEntry } from '../core/why.js';
import { HWM, READ_CHUNK, pad, parseStored, type Sub } from './keys.js';
import type { OnCorrupt } from './collect.js';
import type { EventLookup } from './reader.js';
import { whyEvents } from './why.js';
import type { LogWriter } from './writer.js';

/** the layout of why!: a reader finding another version reads the full way */
export const VERSION = 2;

/** How far an app's kept entries go (why!h!<app>). */
export interface Horizon {
  version: number;
  /** the compaction's `through` the entries were kept under (0: none) */
  compaction: number;
  /** every audited action of the app at or below it is kept */
  through: number;
  /** the kept entries that succeeded and wait for their effect (see the top of this file), in seq order */
  awaiting: number[];
  /** the renderer's text of sample entries when the texts were kept */
  render: string;
}

/** An app's kept entries: every audited action at or below `through`, in seq order. */
export interface WhyView {
  through: number;
  entries: WhyEntry[];
  awaiting: number[];
}

/** An app's kept texts: `WhyView`'s entries as `why --all` prints them. */
export interface WhyText {
  through: number;
  texts: string[];
  awaiting: number[];
}

export const horizonKey = (app: string): string => `h!${app}`;
export const entryPrefix = (app: string): string => `e!${app}!`;
export const textPrefix = (app: string): string => `t!${app}!`;

/** The kept entries of `app`, or undefined when there are none to trust (never kept, another compaction, damaged). */
export async function readWhyView(w: LogWriter, app: string): Promise<WhyView | undefined> {
  const h = horizonOf(await w.sub.why.get(horizonKey(app)), w.compaction?.through ?? 0);
  if (!h) return undefined;
  const entries: WhyEntry[] = [];
  for await (const [key, value] of ranged(w.sub.why, entryPrefix(app), h.through)) {
    const entry = parseStored(value);
    const seq = Number(key.slice(entryPrefix(app).length));
    if (!isWhyEntry(entry, app, seq) || seq <= (entries.at(-1)?.action.seq ?? 0)) return undefined;
    entries.push(entry);
  }
  return { through: h.through, entries, awaiting: h.awaiting };
}

/**
 * What `why APP --all` needs from a source: the entries it keeps for the app (none, through 0, where it
 * keeps none) and the app's records after them with what their chains reach; `explainAfter` joins them.
 */
export async function whyAllParts(lookup: EventLookup, app: string, onCorrupt: OnCorrupt, opts: { text?: boolean } = {}): Promise<WhyParts> {
  let text = opts.text ? await lookup.whyText?.(app) : undefined;
  let view = text ? undefined : await lookup.whyView?.(app);
  const through = text?.through ?? view?.through ?? 0;
  const { events } = await whyEvents(lookup, app, { all: true, onCorrupt, ...(through > 0 ? { since: through } : {}) });
  const started = events.find((e): e is EnvelopeOf<'ContainerStarted'> => e.type === 'ContainerStarted' && e.app === app && e.seq > through);
  if (started && text && text.awaiting.length > 0) {
    // kept texts wait for the effect this start is: the kept entries are rendered instead (rare: a start
    // the daemon did not make, before its next keeping)
    view = await lookup.whyView?.(app);
    text = undefined;
    if (view?.through !== through) view = undefined;
  }
  if (!text && !view && through > 0) return whyAllParts(lookup, app, onCorrupt); // what was kept changed meanwhile: the full way
  const kept = started && view ? withEffect(view, started) : view?.entries ?? [];
  return { kept, ...(text ? { texts: text.texts } : {}), through, events };
}

/** The view's entries with `started` as the effect of those awaiting one, as `explain` gives it. */
function withEffect(view: WhyView, started: EnvelopeOf<'ContainerStarted'>): WhyEntry[] {
  const awaiting = new Set(view.awaiting);
  const effect = { seq: started.seq, type: started.type, at: started.at, container: started.data.id, summary: '' };
  return view.entries.map((w) => (awaiting.has(w.action.seq) ? { ...w, effects: [effect] } : w));
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
export async function readWhyText(w: LogWriter, app: string): Promise<WhyText | undefined> {
  const h = horizonOf(await w.sub.why.get(horizonKey(app)), w.compaction?.through ?? 0, renderFingerprint());
  if (!h) return undefined;
  const texts: string[] = [];
  let last = 0;
  for await (const [key, value] of ranged(w.sub.why, textPrefix(app), h.through)) {
    const seq = Number(key.slice(textPrefix(app).length));
    if (!(seq > last) || textSeq(value) !== seq) return undefined;
    last = seq;
    texts.push(value);
  }
  return { through: h.through, texts, awaiting: h.awaiting };
}

/** The records of `prefix` up to the seq `through`, a chunk at a time. */
export async function* ranged(sub: Sub, prefix: string, through: number): AsyncGenerator<[string, string]> {
  const it = sub.iterator({ ...HWM, gt: prefix, lte: `${prefix}${pad(through)}` });
  try {
    for (let chunk = await it.nextv(READ_CHUNK); chunk.length > 0; chunk = await it.nextv(READ_CHUNK)) yield* chunk;
  } finally {
    await it.close();
  }
}

/** What the renderer makes of entries that take each of its branches: kept texts must have been made by the same. */
let fingerprint: string | undefined;
export function renderFingerprint(): string {
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
  if (!isObject(x) || !isSeq(x.through) || !Array.isArray(x.entries) || !isSeqList(x.awaiting, x.through)) return undefined;
  let last = 0;
  for (const e of x.entries as unknown[]) {
    const seq = isObject(e) && isObject(e.action) ? e.action.seq : undefined;
    if (!isSeq(seq) || seq <= last || seq > x.through || !isWhyEntry(e, app, seq)) return undefined;
    last = seq;
  }
  return { through: x.through, entries: x.entries as WhyEntry[], awaiting: x.awaiting };
}

/** `checkedView` for kept texts. */
export function checkedText(x: unknown): WhyText | undefined {
  if (!isObject(x) || !isSeq(x.through) || !Array.isArray(x.texts) || !isSeqList(x.awaiting, x.through)) return undefined;
  let last = 0;
  for (const t of x.texts as unknown[]) {
    const seq = typeof t === 'string' ? textSeq(t) : undefined;
    if (seq === undefined || seq <= last || seq > x.through) return undefined;
    last = seq;
  }
  return { through: x.through, texts: x.texts as string[], awaiting: x.awaiting };
}

/** Seqs in ascending order, none above `through`. */
function isSeqList(x: unknown, through: number): x is number[] {
  return Array.isArray(x) && x.every((s, i) => isSeq(s) && s <= through && (i === 0 || s > (x[i - 1] as number)));
}

/** The seq a kept text is of (`#<seq> …`, ending in a line break), or undefined when it is not one. */
function textSeq(text: string): number | undefined {
  const m = /^#(\d{1,16}) /.exec(text);
  return m && text.endsWith('\n') ? Number(m[1]) : undefined;
}

/** A horizon record made under the store's compaction (and, for texts, by today's renderer), else undefined. */
export function horizonOf(raw: string | undefined, compaction: number, render?: string): Horizon | undefined {
  const h = raw === undefined ? undefined : parseStored(raw);
  if (!isObject(h) || h.version !== VERSION || h.compaction !== compaction || !isSeq(h.through) || !isSeqList(h.awaiting, h.through) || !isStr(h.render)) return undefined;
  if (render !== undefined && h.render !== render) return undefined;
  return h as unknown as Horizon;
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
