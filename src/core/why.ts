// `why APP`: from an action back to the observations that caused it. Pure over a list of events.
import { AUDITED } from './action-kinds.js';
import type { Action, Envelope, EnvelopeOf, Reason } from './events.js';
import { iso, renderEvent, renderReason, show, summarise } from './render.js';

/** The type of a cause link whose event is not in the log read (a compacted or partial log). */
const MISSING = '(not in this log)';

export interface CauseLink {
  seq: number;
  type: string;
  at: number;
  app?: string;
  summary: string;
  /** for host facts and secrets: what changed, from → to (secrets never by value) */
  changes?: { name: string; from: unknown; to: unknown }[];
}

export interface WhyEntry {
  action: { seq: number; kind: Action['kind']; app: string; at: number; correlation?: string };
  reasons: (Reason & { cause?: CauseLink[] })[];
  outcome?: {
    /** the event as `events` shows it; '' when `explain` was asked for no summaries */
    seq: number; type: 'ActionSucceeded' | 'ActionFailed'; at: number; summary: string;
    /** the container the action left (a success that made or kept one) */
    container?: string;
    error?: { code: string; message: string };
  };
  /** what podman reported afterwards (container started); `summary` as the outcome's */
  effects: { seq: number; type: string; at: number; container: string; summary: string }[];
}

/**
 * The types `explain` looks at in its pass over the events (actions, their outcomes, starts, fact
 * changes). An event of another type counts only as a link of a chain, found by seq: a reader may
 * hand over such events only where a chain reaches them and get the same answer.
 */
export const EXPLAIN_SCANS: ReadonlySet<string> = new Set(['ActionStarted', 'ActionSucceeded', 'ActionFailed', 'ContainerStarted', 'HostFactsObserved'] satisfies Envelope['type'][]);

/**
 * Every audited action of `app` (oldest first), each with its reasons' causal chains. With
 * `summaries: false` the outcomes and effects get no sentence (`summary` ''): the command line prints
 * neither, and writing them was a fifth of explaining `why --all`'s 4,000 entries.
 */
export function explain(events: readonly Envelope[], app: string, opts: { summaries?: boolean } = {}): WhyEntry[] {
  return [...explainEach(events, app, opts)];
}

/**
 * `explain`'s entries one at a time, for a reader that is done with each before the next (`why --all`
 * renders and writes them as they come): 4,000 entries kept until the end were copied by every
 * scavenge meanwhile.
 */
export function* explainEach(events: readonly Envelope[], app: string, opts: { summaries?: boolean } = {}): Generator<WhyEntry> {
  const summary = opts.summaries === false ? () => '' : renderEvent;
  const bySeq = new Map<number, Envelope>();
  for (const e of events) bySeq.set(e.seq, e); // the last of a seq given twice, as a Map made of the list keeps
  const look = new Lookups(events, app);
  for (const e of events) {
    if (e.type !== 'ActionStarted' || e.app !== app || !AUDITED.has(e.data.action.kind)) continue;
    const outcome = look.outcome(e.seq);
    const entry: WhyEntry = {
      action: { seq: e.seq, kind: e.data.action.kind, app, at: e.at, ...(e.correlation ? { correlation: e.correlation } : {}) },
      reasons: e.data.action.reasons.map((r) => (r.causedBy ? { ...r, cause: chain(r.causedBy, bySeq, look) } : { ...r })),
      effects: [],
    };
    if (outcome) {
      const made = outcome.type === 'ActionSucceeded' ? outcome.data.containerId : undefined;
      entry.outcome = {
        seq: outcome.seq, type: outcome.type, at: outcome.at, summary: summary(outcome),
        ...(made ? { container: made } : {}), ...(outcome.type === 'ActionFailed' ? { error: outcome.data.error } : {}),
      };
      const started = look.startedAfter(outcome.seq);
      if (started && outcome.type === 'ActionSucceeded') entry.effects.push({ seq: started.seq, type: started.type, at: started.at, container: started.data.id, summary: summary(started) });
    }
    yield entry;
  }
}

/**
 * `why --all`'s entries (no summaries) from the entries a store keeps for the app through `through`
 * (log/why-view.ts) and the events `whyEvents` read after it: the kept, then explain's beyond `through`.
 */
export function* explainAfter(kept: Iterable<WhyEntry>, through: number, events: readonly Envelope[], app: string): Generator<WhyEntry> {
  yield* kept;
  for (const w of explainEach(events, app, { summaries: false })) if (w.action.seq > through) yield w;
}

type Outcome = EnvelopeOf<'ActionSucceeded'> | EnvelopeOf<'ActionFailed'>;

/**
 * The searches of `explain`, each answering as a scan of `events` in order would (the first outcome
 * caused by an action after it, the first ContainerStarted of the app after a seq, the last fact change
 * before a seq), from lists built in one pass: scanning the whole log per action made `why --all` on a
 * long history quadratic (seconds for 4,000 entries; docs/benchmarks.md). A test holds them to the scans.
 */
class Lookups {
  readonly #outcomes = new Map<number, Outcome[]>();
  readonly #started: EnvelopeOf<'ContainerStarted'>[] = [];
  readonly #facts: EnvelopeOf<'HostFactsObserved'>[] = [];
  /** whether each list is in seq order (as every read of a log is): then searched by halves */
  readonly #startedSorted: boolean;
  readonly #factsSorted: boolean;

  constructor(events: readonly Envelope[], app: string) {
    for (const e of events) {
      if ((e.type === 'ActionSucceeded' || e.type === 'ActionFailed') && e.causedBy !== undefined) {
        const list = this.#outcomes.get(e.causedBy);
        if (list) list.push(e);
        else this.#outcomes.set(e.causedBy, [e]);
      } else if (e.type === 'ContainerStarted' && e.app === app) this.#started.push(e);
      else if (e.type === 'HostFactsObserved') this.#facts.push(e);
    }
    this.#startedSorted = ascending(this.#started);
    this.#factsSorted = ascending(this.#facts);
  }

  /** the first outcome in order that names `seq` as its cause and comes after it */
  outcome(seq: number): Outcome | undefined {
    return this.#outcomes.get(seq)?.find((o) => o.seq > seq);
  }

  /** the first ContainerStarted of the app in order with a seq above `seq` */
  startedAfter(seq: number): EnvelopeOf<'ContainerStarted'> | undefined {
    const list = this.#started;
    if (!this.#startedSorted) return list.find((x) => x.seq > seq);
    const i = firstWhere(list, (x) => x.seq > seq);
    return i < list.length ? list[i] : undefined;
  }

  /** the last HostFactsObserved in order before `seq` that changed `name` */
  factBefore(seq: number, name: string): EnvelopeOf<'HostFactsObserved'> | undefined {
    const list = this.#facts;
    // in a list in seq order, none from the first at or above seq on is before it
    for (let i = (this.#factsSorted ? firstWhere(list, (x) => x.seq >= seq) : list.length) - 1; i >= 0; i--) {
      const p = list[i]!;
      if (p.seq < seq && p.data.changed.includes(name)) return p;
    }
    return undefined;
  }
}

const ascending = (list: readonly { seq: number }[]): boolean => list.every((x, i) => i === 0 || list[i - 1]!.seq <= x.seq);

/** In a list in seq order and a test that holds from some index on: that index (the list's length if none). */
function firstWhere<T>(list: readonly T[], holds: (x: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(list[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The cause event and its own causes, back to the root observation. */
function chain(seq: number, bySeq: ReadonlyMap<number, Envelope>, look: Lookups): CauseLink[] {
  const links: CauseLink[] = [];
  const seen = new Set<number>();
  let next: number | undefined = seq;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const e = bySeq.get(next);
    if (!e) {
      links.push({ seq: next, type: MISSING, at: 0, summary: `event #${next} is not in the log read` });
      break;
    }
    const changes = factChanges(e, look);
    links.push({ seq: e.seq, type: e.type, at: e.at, ...(e.app ? { app: e.app } : {}), summary: `${e.app ? `${e.app} ` : ''}${summarise(e)}`, ...(changes ? { changes } : {}) });
    next = e.causedBy;
  }
  return links;
}

function factChanges(e: Envelope, look: Lookups): CauseLink['changes'] {
  if (e.type === 'SecretObserved') return [{ name: e.data.name, from: '(secret)', to: '(secret changed)' }];
  if (e.type !== 'HostFactsObserved') return undefined;
  return e.data.changed.map((name) => {
    const before = look.factBefore(e.seq, name);
    return { name, from: before?.data.facts[name] ?? null, to: e.data.facts[name] ?? null };
  });
}

/**
 * An entry as data for `--json`: times in ISO 8601, full ids, no sentences (`summary` is for the text
 * form). A cause not in the log read has `type` null.
 */
export function whyData(w: WhyEntry) {
  const time = (ms: number) => (ms ? iso(ms) : null);
  return {
    action: { seq: w.action.seq, kind: w.action.kind, app: w.action.app, at: iso(w.action.at), correlation: w.action.correlation ?? null },
    reasons: w.reasons.map(({ cause, ...reason }) => ({
      ...reason,
      cause: (cause ?? []).map((c) => {
        const known = c.type !== MISSING;
        return { seq: c.seq, type: known ? c.type : null, at: known ? time(c.at) : null, app: c.app ?? null, ...(c.changes ? { changes: c.changes } : {}) };
      }),
    })),
    outcome: w.outcome
      ? { seq: w.outcome.seq, type: w.outcome.type, at: iso(w.outcome.at), container: w.outcome.container ?? null, error: w.outcome.error ?? null }
      : null,
    effects: w.effects.map((x) => ({ seq: x.seq, type: x.type, at: iso(x.at), container: x.container })),
  };
}
export type WhyData = ReturnType<typeof whyData>;

export function renderWhy(entries: Iterable<WhyEntry>): string {
  let text = '';
  for (const chunk of renderWhyChunks(entries)) text += chunk;
  return text;
}

/**
 * `renderWhy`'s text in pieces of `per` entries, which joined are that text: `why --all` writes each
 * as it is made. One string of 4,000 entries was ~100,000 appended pieces kept alive until it was
 * written (each copied by every scavenge meanwhile), then flattened whole before the write.
 */
export function* renderWhyChunks(entries: Iterable<WhyEntry>, per = 128): Generator<string> {
  // one string appended to (V8 joins the pieces once, when it is written): no array per entry or line,
  // which was a third of rendering `why --all`'s 4,000 entries
  let text = '';
  let n = 0;
  for (const w of entries) {
    if (n > 0) text += '\n';
    text += `#${w.action.seq} ${w.action.kind} ${w.action.app} at ${iso(w.action.at)}\n`;
    for (const r of w.reasons) {
      text += `  because ${renderReason(r)}\n`;
      for (const link of r.cause ?? []) text += `    ← #${link.seq} ${link.type} ${link.changes ? changesText(link.changes) : link.summary}\n`;
    }
    text += w.outcome ? `  → #${w.outcome.seq} ${w.outcome.type}\n` : '  → (no outcome recorded: interrupted?)\n';
    for (const x of w.effects) text += `  → #${x.seq} ${x.type}\n`;
    if (++n % per === 0) {
      yield text;
      text = '';
    }
  }
  if (text !== '') yield text;
}

/**
 * `why --all`'s text from the texts a store keeps (each an entry's `renderWhy`, in order) and the
 * entries after them, in pieces that joined are `renderWhy` of all: entries apart by a blank line.
 */
export function* whyTextChunks(texts: readonly string[], rest: Iterable<WhyEntry>, per = 512): Generator<string> {
  for (let i = 0; i < texts.length; i += per) yield `${i > 0 ? '\n' : ''}${texts.slice(i, i + per).join('\n')}`;
  let first = texts.length > 0; // the rendered chunks after the first begin with their separator
  for (const chunk of renderWhyChunks(rest)) {
    yield first ? `\n${chunk}` : chunk;
    first = false;
  }
}

function changesText(changes: NonNullable<CauseLink['changes']>): string {
  let text = '';
  for (const c of changes) text += `${text === '' ? '' : ', '}${c.name} ${show(c.from)} → ${show(c.to)}`;
  return text;
}
