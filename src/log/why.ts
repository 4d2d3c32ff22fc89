// The events `why APP` needs, without reading the whole log: the app's own events (ix-app), the causal
// chain of every reason of its actions (fetched by seq, a level at a time), and for each host-facts
// change in those chains the previous observation of each fact (ix-type, read backwards), which is
// where `explain` takes a fact's "from" value. `explain` over these events answers exactly as over the
// whole log: every event it looks at is among them, and none it would pass over first is missing.
// This rests on one rule of the writers: an action's outcome carries the action's app (the reconciler
// writes ActionStarted and its ActionSucceeded/ActionFailed with the same app), so it is in ix-app.
import type { Envelope, EnvelopeOf } from '../core/events.js';
import { EXPLAIN_SCANS, explain } from '../core/why.js';
import { collect, type OnCorrupt } from './collect.js';
import { PassedOver, type EventLookup, type FactQuery, type ReadItem } from './reader.js';

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
  lookup: EventLookup, app: string, opts: { all: boolean; onCorrupt: OnCorrupt; atOrBefore?: (e: Envelope) => boolean; /** with `all`: the app's records after this seq only (why-view.ts) */ since?: number },
): Promise<WhyEvents> {
  const seen = new Set<string>(); // report a bad record once, however many reads meet it
  const onCorrupt: OnCorrupt = (seq, reason) => {
    if (!seen.has(`${seq} ${reason}`)) opts.onCorrupt(seq, reason);
    seen.add(`${seq} ${reason}`);
  };
  /** the app's records `explain` does not scan, by seq: decoded only if a chain reaches them */
  const passed = new Map<number, PassedOver>();
  const early = new EarlyLinks(lookup, passed);
  const read = opts.since ? { app, since: opts.since } : { app };
  const own = !opts.all ? await sinceLastAction(lookup, app, onCorrupt, opts.atOrBefore ?? (() => true))
    : lookup.readLazily ? await collectTyped(lookup.readLazily(read, (type) => type === undefined || EXPLAIN_SCANS.has(type)), passed, onCorrupt, early.seen)
    : await collect(lookup.readBatches?.(read) ?? lookup.read(read), onCorrupt);
  const bySeq = new Map(own.map((e) => [e.seq, e]));
  const support = new Set<number>();

  // Causal chains, breadth first: every hop is one multi-get.
  const tried = new Set<number>();
  let level = own.flatMap((e) => (e.type === 'ActionStarted' ? e.data.action.reasons.flatMap((r) => (r.causedBy ? [r.causedBy] : [])) : []));
  const chainEvents: Envelope[] = [];
  while (level.length > 0) {
    const wanted = [...new Set(level)].filter((s) => !tried.has(s));
    wanted.forEach((s) => tried.add(s));
    for (const s of wanted) {
      const p = bySeq.has(s) ? undefined : passed.get(s);
      if (!p) continue;
      const item = p.decode();
      if (item.ok) bySeq.set(s, item.event);
      else onCorrupt(item.seq, item.reason);
    }
    const missing = wanted.filter((s) => !bySeq.has(s)); // a passed-over copy that does not decode: its record in log!, as before
    const items = missing.length > 0 ? await (early.take(missing) ?? lookup.getMany(missing)) : [];
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
 * The decoded events of a typed read, in order; the records passed over go to `passed`. After each
 * batch, `seen` is told its decoded events and the highest seq read so far.
 */
async function collectTyped(
  batches: AsyncIterable<readonly (ReadItem | PassedOver)[]>, passed: Map<number, PassedOver>, onCorrupt: OnCorrupt, seen: (events: readonly Envelope[], through: number) => void,
): Promise<Envelope[]> {
  const events: Envelope[] = [];
  let through = 0;
  for await (const batch of batches) {
    const from = events.length;
    for (const item of batch) {
      if (item instanceof PassedOver) passed.set(item.seq, item);
      else if (item.ok) events.push(item.event);
      else onCorrupt(item.seq, item.reason);
      through = Math.max(through, item instanceof PassedOver ? item.seq : item.ok ? item.event.seq : item.seq);
    }
    seen(events.slice(from), through);
  }
  return events;
}

/**
 * The first hop of the chains, asked for while the app's index is still being read: a reason's cause
 * at or below the highest seq read that is neither a record of the app nor passed over is not in the
 * app's index, so the chains' first multi-get (from log!) would ask for it; it is asked for at once,
 * and LevelDB finds it on its own threads while this one decodes (the main thread waited for it, and
 * it is most of a `why --all`'s chain links from other apps: host facts, manifests).
 * `take` answers a multi-get only when every seq of it was asked for early, in its order, as that
 * multi-get would: otherwise the chains ask as before.
 */
class EarlyLinks {
  readonly #asked = new Map<number, Promise<Map<number, ReadItem>>>();
  readonly #own = new Set<number>();

  constructor(private readonly lookup: EventLookup, private readonly passed: ReadonlyMap<number, PassedOver>) {}

  readonly seen = (events: readonly Envelope[], through: number): void => {
    for (const e of events) this.#own.add(e.seq);
    const asking = new Set<number>();
    for (const e of events) {
      if (e.type !== 'ActionStarted') continue;
      for (const r of e.data.action.reasons) {
        const s = r.causedBy;
        if (s && s <= through && !this.#own.has(s) && !this.passed.has(s) && !this.#asked.has(s)) asking.add(s);
      }
    }
    if (asking.size === 0) return;
    const ask = [...asking];
    // by each item's own seq: a lookup may leave out the seqs it does not hold
    const got = this.lookup.getMany(ask).then((items) => new Map(items.flatMap((item) => (item ? [[item.ok ? item.event.seq : item.seq, item] as const] : []))));
    got.catch(() => {}); // a failure is met where it is awaited (take); until then it is no unhandled rejection
    for (const s of ask) this.#asked.set(s, got);
  };

  take(seqs: readonly number[]): Promise<(ReadItem | undefined)[]> | undefined {
    if (!seqs.every((s) => this.#asked.has(s))) return undefined;
    return Promise.all(seqs.map(async (s) => (await this.#asked.get(s)!).get(s)));
  }
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

/**
 * The latest earlier observation of each fact, by reading the HostFactsObserved index backwards once,
 * from the newest query down until every query has its answer (a read per query cost an iterator and a
 * multi-get each: 447 of them, ~0.5 s of CPU, in `why --all` of a 1M-event log). The same answer as a
 * backward read per query: the events that are, for some name of a query, the last to change it
 * before the query's seq.
 */
async function previousFactsBackwards(lookup: EventLookup, queries: readonly FactQuery[], onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const found = new Map<number, Envelope>();
  const pending = [...queries].sort((a, b) => b.seq - a.seq); // newest first: activated as the read passes below them
  /** the queries the read is below, by the names they still miss */
  const waiting = new Map<string, Set<{ missing: Set<string> }>>();
  let next = 0;
  let open = 0; // activated queries still missing a name
  const read = { type: 'HostFactsObserved', until: pending[0]!.seq - 1, reverse: true } as const;
  // records are decoded only while a query waits: most lie between one query's answer and the next query
  const items = lookup.readLazily?.(read, () => false) ?? lookup.readBatches?.(read) ?? lookup.read(read);
  read: for await (const got of items) {
    for (const record of (Array.isArray(got) ? got : [got]) as (ReadItem | PassedOver)[]) {
      if (!(record instanceof PassedOver) && !record.ok) { onCorrupt(record.seq, record.reason); continue; }
      const seq = record instanceof PassedOver ? record.seq : record.event.seq;
      for (; next < pending.length && pending[next]!.seq > seq; next++) {
        const q = { missing: new Set(pending[next]!.names) };
        if (q.missing.size > 0) open += 1;
        for (const n of q.missing) (waiting.get(n) ?? waiting.set(n, new Set()).get(n)!).add(q);
      }
      if (open === 0) continue;
      const item = record instanceof PassedOver ? record.decode() : record;
      if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
      const e = item.event;
      if (e.type !== 'HostFactsObserved') continue;
      for (const n of e.data.changed) {
        const qs = waiting.get(n);
        if (!qs || qs.size === 0) continue;
        found.set(e.seq, e);
        for (const q of qs) {
          q.missing.delete(n);
          if (q.missing.size === 0) open -= 1;
        }
        qs.clear();
      }
      if (open === 0 && next === pending.length) break read;
    }
  }
  return [...found.values()];
}
