// The covering indexes (ix-app, ix-type hold a copy of each record; keys.ts): on random logs, a read
// through them gives exactly the events the full scan filtered the same way gives, after appends,
// imports, compaction, and in a store of the older layout (keys only), migrated at open or read as it
// is. And what a damaged copy looks like: an error item with its seq, never an event the log disagrees with.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { INDEXES } from '../../../src/log/keys.js';
import { EventStore, type ReadItem, type ReadOptions } from '../../../src/log/store.js';
import { bootData, collect, events, exited, fixedOpts, secret, useTempDir } from './helpers.js';

const APPS = ['a', 'b', 'bb'];
/** INDEXES as version 2 wrote it: every index keys only */
const INDEXES_V2 = JSON.stringify({ version: 2, families: ['ix-app', 'ix-corr', 'ix-type'], types: ['HostFactsObserved'] });

const draftArb: fc.Arbitrary<Draft> = fc
  .record({ kind: fc.constantFrom('exit', 'facts', 'secret'), app: fc.option(fc.constantFrom(...APPS), { nil: undefined }), n: fc.nat(99) })
  .map(({ kind, app, n }): Draft => {
    const meta = app ? { app } : {};
    if (kind === 'exit') return { type: 'ContainerExited', source: 'podman', ...meta, data: { id: `c${n}`, name: `n${n}`, exitCode: n } };
    if (kind === 'facts') return { type: 'HostFactsObserved', source: 'host', ...meta, data: { facts: { HOST_IP: `10.0.0.${n}` }, changed: ['HOST_IP'] } };
    return { type: 'SecretObserved', source: 'secrets', ...meta, data: { name: `s${n}`, hash: `h${n}` } };
  });

const logArb = fc.array(fc.record({ boot: fc.boolean(), drafts: fc.array(draftArb, { minLength: 1, maxLength: 20 }) }), { minLength: 1, maxLength: 8 });

function reads(): ReadOptions[] {
  return [...APPS.flatMap((app) => [{ app }, { app, reverse: true }, { app, since: 5, until: 40 }]), { type: 'HostFactsObserved' }, { type: 'HostFactsObserved', reverse: true }];
}

function expected(all: Envelope[], o: ReadOptions): Envelope[] {
  const picked = all.filter((e) => e.seq > (o.since ?? 0) && e.seq <= (o.until ?? Infinity) && (o.app === undefined || e.app === o.app) && (o.type === undefined || e.type === o.type));
  return o.reverse ? picked.reverse() : picked;
}

async function checkReads(store: EventStore): Promise<void> {
  const all = await events(store.read());
  for (const o of reads()) {
    const items = await collect(store.read(o));
    expect(items.filter((i) => !i.ok), JSON.stringify(o)).toEqual([]);
    expect(items.map((i) => (i as { event: Envelope }).event), JSON.stringify(o)).toEqual(expected(all, o));
  }
}

/** Rewrite the store as the older layout wrote it: index values empty; `marker` as meta!indexes. */
async function asOldLayout(dir: string, marker: string): Promise<void> {
  const raw = new Level<string, string>(dir);
  const keys = await raw.keys({ gte: '!ix-', lt: '!ix.' }).all();
  await raw.batch([...keys.map((key) => ({ type: 'put' as const, key, value: '' })), { type: 'put', key: '!meta!indexes', value: marker }]);
  await raw.close();
}

async function rawEntries(dir: string, range: { gte: string; lt: string }): Promise<[string, string][]> {
  const raw = new Level<string, string>(dir);
  try {
    return await raw.iterator(range).all();
  } finally {
    await raw.close();
  }
}

describe('covering indexes', () => {
  it('given random logs appended, imported into a second store, compacted at a random cut, then of the older layout read as it is and migrated at open, when read by app or type, then every read equals the full scan filtered', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(200), fc.array(fc.nat(200), { maxLength: 10 }), async (log, cut, kept) => {
        const root = await mkdtemp(join(tmpdir(), 'podledger-cov-'));
        try {
          const dir = join(root, 'db');
          let store = await EventStore.open(dir, fixedOpts());
          for (const call of log) {
            if (call.boot) await store.beginBoot(bootData);
            await store.append(call.drafts);
          }
          await checkReads(store);

          // an import writes records with recordOps too
          const imported = await EventStore.open(join(root, 'imported'));
          await imported.importEvents(store.read());
          await checkReads(imported);
          await imported.close();

          const through = Math.min(cut, store.lastSeq);
          await store.compact(through, kept, '{}');
          await checkReads(store);
          await store.close();

          // the copies are the records' bytes
          const records = new Map((await rawEntries(dir, { gte: '!log!', lt: '!log"' })).map(([k, v]) => [k.slice(5), v]));
          for (const [key, value] of await rawEntries(dir, { gte: '!ix-app!', lt: '!ix-app"' })) expect(value).toBe(records.get(key.slice(-16)));

          await asOldLayout(dir, INDEXES); // keys only, but marked complete: read through to log!
          store = await EventStore.open(dir);
          await checkReads(store);
          await store.close();

          await asOldLayout(dir, INDEXES_V2); // as a version-2 store: rebuilt at open
          store = await EventStore.open(dir);
          expect(await store.getMeta('indexes')).toEqual(JSON.parse(INDEXES));
          await checkReads(store);
          await store.close();
          for (const [, value] of await rawEntries(dir, { gte: '!ix-app!', lt: '!ix-app"' })) expect(value).not.toBe('');
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});

describe('a damaged copy in a covering index', () => {
  const tmp = useTempDir();

  /** A store of four events (seqs 1, 2, 4 of app a; 3 of b), then raw puts and dels that `edit` makes from its records by seq. */
  async function damaged(edit: (record: (seq: number) => string) => Record<string, string>, del: string[] = []): Promise<string> {
    const dir = join(tmp.dir(), 'db');
    const store = await EventStore.open(dir, fixedOpts());
    await store.append([exited('a'), exited('a', 2), exited('b'), secret('x', 'a')]);
    await store.close();
    const records = new Map((await rawEntries(dir, { gte: '!log!', lt: '!log"' })).map(([k, v]) => [Number(k.slice(5)), v]));
    const raw = new Level<string, string>(dir);
    await raw.batch([
      ...Object.entries(edit((seq) => records.get(seq)!)).map(([key, value]) => ({ type: 'put' as const, key, value })),
      ...del.map((key) => ({ type: 'del' as const, key })),
    ]);
    await raw.close();
    return dir;
  }

  const shape = (items: ReadItem[]) => items.map((i) => (i.ok ? i.event.seq : { seq: i.seq, reason: i.reason }));

  it('given a copy that is not JSON, when the app is read, then that seq is an error item saying it is the copy, and the rest still come; the full read shows the record intact', async () => {
    await damaged(() => ({ '!ix-app!a!0000000000000002': '{"seq":2,' }));
    const store = await tmp.open();
    expect(shape(await collect(store.read({ app: 'a' })))).toEqual([1, { seq: 2, reason: expect.stringMatching(/^not JSON: .* \(the copy in the app index\)$/) }, 4]);
    expect((await events(store.read())).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("given a copy of another app's record under an app's key, when the app is read, then it is an error item naming both, not one of its events", async () => {
    await damaged((record) => ({ '!ix-app!a!0000000000000003': record(3) }));
    const store = await tmp.open();
    expect(shape(await collect(store.read({ app: 'a' })))).toEqual([1, 2, { seq: 3, reason: `index of app 'a' names seq 3, a record of app "b" (the copy in the app index)` }, 4]);
  });

  it('given a copy at the wrong seq, when the app is read, then the error item says which seq the record claims', async () => {
    await damaged((record) => ({ '!ix-app!a!0000000000000002': record(1) }));
    const store = await tmp.open();
    expect(shape(await collect(store.read({ app: 'a' })))).toEqual([1, { seq: 2, reason: 'record stored at seq 2 says seq 1 (the copy in the app index)' }, 4]);
  });

  it('given a record damaged in the log but its copy intact, when read, then the full read reports the record and the app read gives the copy (replay and checks read the log)', async () => {
    await damaged(() => ({ '!log!0000000000000002': 'garbage' }));
    const store = await tmp.open();
    expect(shape(await collect(store.read()))).toEqual([1, { seq: 2, reason: expect.stringMatching(/^not JSON: /) }, 3, 4]);
    expect(shape(await collect(store.read({ app: 'a' })))).toEqual([1, 2, 4]);
  });

  it('given a record that cannot be parsed, when a compaction removes it, then its copy goes too (found by walking the indexes) and no read yields it', async () => {
    const dir = await damaged(() => ({ '!log!0000000000000002': 'garbage' }));
    const store = await tmp.open(undefined, dir);
    await store.compact(3, [], '{}');
    expect(shape(await collect(store.read({ app: 'a' })))).toEqual([4]);
    await store.close();
    expect((await rawEntries(dir, { gte: '!ix-app!', lt: '!ix-app"' })).map(([k]) => k)).toEqual(['!ix-app!a!0000000000000004']);
  });

  it('given an entry of the older layout (no copy) whose record is of another app, when read, then it is an error item', async () => {
    await damaged(() => ({ '!ix-app!b!0000000000000001': '' }));
    const store = await tmp.open();
    expect(shape(await collect(store.read({ app: 'b' })))).toEqual([{ seq: 1, reason: `index of app 'b' names seq 1, a record of app "a"` }, 3]);
  });
});
