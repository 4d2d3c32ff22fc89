// The events `why APP` needs, without reading the whole log: the app's own events (ix-app), the causal
// chain of every reason of its actions (fetched by seq, a level at a time), and for each host-facts
// change in those chains the previous observation of each fact (ix-type, read backwards), which is
// where `explain` takes a fact's "from" value. `explain` over these events answers exactly as over the
// whole log: every event it looks at is among them, and none it would pass over first is missing.
// This rests on one rule of the writers: an action's outcome carries the action's app (the reconciler
// writes ActionStarted and its ActionSucceeded/ActionFailed with the same app), so it is in ix-app.
import type { Envelope, EnvelopeOf } from '../core/events.js';
import { explain } from '../core/why.js';
import { collect, type OnCorrupt } from './fold.js';
import type { EventLookup, FactQuery } from './reader.js';

export interface WhyEvents {
  /** what `explain(events, app)` needs, in seq order */
  events: Envelope[];
  /** the seqs fetched besides the app's own events: chain links and previous fact observations */
  support: Set<number>;
}

/**
 * The events `explain(…, app)` needs. With `all: false` only those of the app's last audited action, so
 * a long history is not explained just to print its last entry: the last entry of `explain` over them is
 * the last over the whole log (earlier ones may be there too, as links of its chains).
 */
export async function whyEvents(
  lookup: EventLookup, app: string, opts: { all: boolean; onCorrupt: OnCorrupt; atOrBefore?: (e: Envelope) => boolean },
): Promise<WhyEvents> {
  const seen = new Set<string>(); // report a bad record once, however many reads meet it
  const onCorrupt: OnCorrupt = (seq, reason) => {
    if (!seen.has(`${seq} ${reason}`)) opts.onCorrupt(seq, reason);
    seen.add(`${seq} ${reason}`);
  };
  const own = opts.all ? await collect(lookup.read({ app }), onCorrupt) : await sinceLastAction(lookup, app, onCorrupt, opts.atOrBefore ?? (() => true));
  const bySeq = new Map(own.map((e) => [e.seq, e]));
  const support = new Set<number>();

  // Causal chains, breadth first: every hop is one multi-get.
  const tried = new Set<number>();
  let level = own.flatMap((e) => (e.type === 'ActionStarted' ? e.data.action.reasons.flatMap((r) => (r.causedBy ? [r.causedBy] : [])) : []));
  const chainEvents: Envelope[] = [];
  while (level.length > 0) {
    const wanted = [...new Set(level)].filter((s) => !tried.has(s));
    wanted.forEach((s) => tried.add(s));
    const missing = wanted.filter((s) => !bySeq.has(s));
    const items = missing.length > 0 ? await lookup.getMany(missing) : [];
    for (const item of items) {
      if (!item) continue;
      if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
      bySeq.set(item.event.seq, item.event);
      support.add(item.event.seq);
    }
    const found = wanted.flatMap((s) => bySeq.get(s) ?? []);
    chainEvents.push(...found);
    level = found.flatMap((e) => (e.causedBy !== undefined ? [e.causedBy] : []));
  }

  const queries = chainEvents
    .filter((e): e is EnvelopeOf<'HostFactsObserved'> => e.type === 'HostFactsObserved' && e.data.changed.length > 0)
    .map((e) => ({ seq: e.seq, names: e.data.changed }));
  if (queries.length > 0) {
    const previous = await (lookup.previousFacts ? lookup.previousFacts(queries, onCorrupt) : previousFactsBackwards(lookup, queries, onCorrupt));
    for (const e of previous) {
      bySeq.set(e.seq, e);
      support.add(e.seq);
    }
  }
  return { events: [...bySeq.values()].sort((a, b) => a.seq - b.seq), support };
}

/**
 * The app's events from its last audited action (that `atOrBefore` accepts) on, read newest first until
 * that action (whether `explain` audits an action, asking it about that one event tells, with no list of
 * kinds kept here). Later events stay: the action's outcome may be among them.
 */
async function sinceLastAction(lookup: EventLookup, app: string, onCorrupt: OnCorrupt, atOrBefore: (e: Envelope) => boolean): Promise<Envelope[]> {
  const newestFirst: Envelope[] = [];
  for await (const item of lookup.read({ app, reverse: true })) {
    if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
    newestFirst.push(item.event);
    if (item.event.type === 'ActionStarted' && atOrBefore(item.event) && explain([item.event], app).length > 0) return newestFirst.reverse();
  }
  return []; // no audited action: nothing to explain
}

/** Every seq `explain` shows or consults for an app: its entries' events, their chains and the facts' previous values. */
export async function whySeqs(lookup: EventLookup, app: string, onCorrupt: OnCorrupt): Promise<Set<number>> {
  const { events, support } = await whyEvents(lookup, app, { all: true, onCorrupt });
  const seqs = new Set(support);
  for (const w of explain(events, app)) {
    seqs.add(w.action.seq);
    for (const r of w.reasons) for (const link of r.cause ?? []) seqs.add(link.seq);
    if (w.outcome) seqs.add(w.outcome.seq);
    for (const x of w.effects) seqs.add(x.seq);
  }
  return seqs;
}

/** The latest earlier observation of each fact, by reading the HostFactsObserved index backwards. */
async function previousFactsBackwards(lookup: EventLookup, queries: readonly FactQuery[], onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const found = new Map<number, Envelope>();
  for (const q of queries) {
    const missing = new Set(q.names);
    for await (const item of lookup.read({ type: 'HostFactsObserved', until: q.seq - 1, reverse: true })) {
      if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
      const e = item.event;
      if (e.type !== 'HostFactsObserved' || !e.data.changed.some((n) => missing.has(n))) continue;
      found.set(e.seq, e);
      e.data.changed.forEach((n) => missing.delete(n));
      if (missing.size === 0) break;
    }
  }
  return [...found.values()];
}
