// The timeline's pages over a real store: paging newest first covers every event once, and each
// filter (app through its index, kind, severity, text, a time window found by binary search) gives
// what a plain filter over the whole log gives, page after page.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { busyNode } from '../../../src/bench/scale-bench.js';
import { EventStore } from '../../../src/log/store.js';
import { firstAtOrAfter, matches, rowOf, timelinePage, type TimelineQuery } from '../../../src/web/timeline.js';

const TOTAL = 4_000;
let dir: string;
let store: EventStore;
let all: Envelope[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podledger-timeline-'));
  store = await EventStore.open(join(dir, 'db'));
  all = [...busyNode(TOTAL)];
  await store.importEvents((async function* () { for (const event of all) yield { ok: true as const, event }; })());
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every page of a query, in order, until `next` is null. */
async function everyPage(q: Omit<TimelineQuery, 'before'>): Promise<number[]> {
  const seqs: number[] = [];
  let before: number | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await timelinePage(store, store.lastSeq, { ...q, ...(before !== undefined ? { before } : {}) });
    expect(page.rows.length).toBeLessThanOrEqual(q.limit);
    seqs.push(...page.rows.map((r) => r.seq));
    if (page.next === null) return seqs;
    before = page.next;
  }
  throw new Error('paging did not end');
}

const expected = (q: Omit<TimelineQuery, 'limit'>) => all.filter((e) => matches(rowOf(e), q) && (q.from === undefined || e.at >= q.from) && (q.to === undefined || e.at <= q.to))
  .map((e) => e.seq).reverse();

describe('timeline pages', () => {
  it('given a store, when paged newest first, then every event comes once, in order', async () => {
    expect(store.lastSeq).toBe(all.length);
    expect(await everyPage({ limit: 173 })).toEqual(all.map((e) => e.seq).reverse());
  });

  it.each<[string, Omit<TimelineQuery, 'limit'>]>([
    ['one app (its index)', { app: 'app3' }],
    ['actions and outcomes', { kinds: ['action', 'outcome'] }],
    ['warnings and errors', { severity: 'warning' }],
    ['text', { text: 'recreate' }],
    ['app, kind and text together', { app: 'app7', kinds: ['action'], text: 'spec-changed' }],
  ])('given a filter (%s), when paged, then the rows are those a plain filter of the log gives', async (_name, q) => {
    const want = expected(q);
    expect(want.length).toBeGreaterThan(0);
    expect(await everyPage({ ...q, limit: 50 })).toEqual(want);
  });

  it('given time windows, when paged, then exactly the events at or between their ends come, and the binary search finds the first event at or after a time', async () => {
    const first = all[0]!.at;
    const last = all.at(-1)!.at;
    for (const [from, to] of [[first, last], [first + 1000, first + 5000], [last - 1, last], [first - 10_000, first - 1], [first + (last - first) / 3, first + (last - first) / 2]]) {
      const q = { from: Math.floor(from!), to: Math.floor(to!) };
      expect(await everyPage({ ...q, limit: 64 })).toEqual(expected(q));
    }
    for (const at of [first - 1, first, first + 1, all[1234]!.at, last, last + 1]) {
      const linear = all.find((e) => e.at >= at)?.seq ?? all.length + 1;
      expect(await firstAtOrAfter(store, store.lastSeq, at)).toBe(linear);
    }
  });
});
