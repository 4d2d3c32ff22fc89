// Secondary indexes (ix-app, ix-corr, ix-type) and reads by seq: on random logs, every index read equals
// a full scan filtered the same way, before and after the indexes are rebuilt from the log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { InvalidEventError } from '../../../src/log/errors.js';
import { EventStore, type ReadOptions } from '../../../src/log/store.js';
import { bootData, events, exited, fixedOpts, secret, useTempDir } from './helpers.js';

const APPS = ['a', 'b', 'bb', 'b-c'];
const CORRELATIONS = ['r1', 'r2', 'r10', '01a21c62-83e1-7115-90fb-2e65493cf9be'];

const draftArb: fc.Arbitrary<Draft> = fc
  .record({
    kind: fc.constantFrom('secret', 'exit', 'facts', 'removed'),
    app: fc.option(fc.constantFrom(...APPS), { nil: undefined }),
    correlation: fc.option(fc.constantFrom(...CORRELATIONS), { nil: undefined }),
    n: fc.nat(99),
  })
  .map(({ kind, app, correlation, n }): Draft => {
    const meta = { ...(app ? { app } : {}), ...(correlation ? { correlation } : {}) };
    switch (kind) {
      case 'secret': return { type: 'SecretObserved', source: 'secrets', ...meta, data: { name: `s${n}`, hash: `h${n}` } };
      case 'exit': return { type: 'ContainerExited', source: 'podman', ...meta, data: { id: `c${n}`, name: `n${n}`, exitCode: n } };
      case 'facts': return { type: 'HostFactsObserved', source: 'host', ...meta, data: { facts: { HOST_IP: `10.0.0.${n}` }, changed: ['HOST_IP'] } };
      default: return { type: 'ManifestRemoved', source: 'manifests', ...meta, data: { path: `apps/${n}` } };
    }
  });

/** A log: appended in calls of random sizes, some starting a boot. */
const logArb = fc.array(fc.record({ boot: fc.boolean(), drafts: fc.array(draftArb, { minLength: 1, maxLength: 30 }) }), { minLength: 1, maxLength: 12 });

const windowArb = fc.record({ since: fc.option(fc.nat(250), { nil: undefined }), until: fc.option(fc.nat(250), { nil: undefined }), reverse: fc.boolean() });

async function write(dir: string, log: { boot: boolean; drafts: Draft[] }[]): Promise<EventStore> {
  const store = await EventStore.open(dir, fixedOpts());
  for (const call of log) {
    if (call.boot) await store.beginBoot(bootData);
    await store.append(call.drafts);
  }
  return store;
}

/** What a read must return: the full scan, filtered and ordered like the read. */
function expected(all: Envelope[], o: ReadOptions): Envelope[] {
  const picked = all.filter((e) => e.seq > (o.since ?? 0) && e.seq <= (o.until ?? Infinity)
    && (o.app === undefined || e.app === o.app) && (o.correlation === undefined || e.correlation === o.correlation)
    && (o.type === undefined || e.type === o.type));
  return o.reverse ? picked.reverse() : picked;
}

async function checkReads(store: EventStore, all: Envelope[], windows: { since?: number; until?: number; reverse: boolean }[]): Promise<void> {
  for (const w of windows) {
    const reads: ReadOptions[] = [
      w,
      ...APPS.map((app) => ({ ...w, app })),
      ...CORRELATIONS.map((correlation) => ({ ...w, correlation })),
      { ...w, type: 'HostFactsObserved' as const },
    ];
    for (const o of reads) expect(await events(store.read(o)), JSON.stringify(o)).toEqual(expected(all, o));
  }
}

describe('secondary indexes', () => {
  it('given random logs, when read by app, correlation or type (windows, reversed), then each read equals the full scan filtered; get(seq) equals the scan at that seq; after the indexes are dropped and rebuilt at open, the same holds', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.array(windowArb, { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: -2, max: 260 }), { maxLength: 10 }), async (log, windows, seqs) => {
        const root = await mkdtemp(join(tmpdir(), 'podledger-ix-'));
        const dir = join(root, 'db');
        try {
          let store = await write(dir, log);
          const all = await events(store.read());
          expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
          await checkReads(store, all, windows);
          const got = await store.getMany(seqs);
          expect(got).toEqual(seqs.map((s) => (all[s - 1] && s >= 1 ? { ok: true, event: all[s - 1] } : undefined)));
          await store.close();

          // drop every index entry and the marker: the next open rebuilds them from the log
          const raw = new Level<string, string>(dir);
          const keys = await raw.keys().all();
          await raw.batch(keys.filter((k) => k.startsWith('!ix-') || k === '!meta!indexes').map((key) => ({ type: 'del' as const, key })));
          await raw.close();
          store = await EventStore.open(dir);
          await checkReads(store, all, windows);
          await store.close();
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('EventStore reads by index and seq', () => {
  const tmp = useTempDir();

  it('given events of one reconcile run, when read by correlation, then exactly those come back, with the index written in the same batch', async () => {
    const store = await tmp.open(fixedOpts());
    await store.append([{ ...exited('a'), correlation: 'run-1' }, secret('x'), { ...secret('y', 'b'), correlation: 'run-1' }, { ...secret('z'), correlation: 'run-10' }]);
    expect((await events(store.read({ correlation: 'run-1' }))).map((e) => e.seq)).toEqual([1, 3]);
    const raw = (store as unknown as { db: Level<string, string> }).db;
    expect((await raw.keys({ gte: '!ix-corr!', lt: '!ix-corr"' }).all())).toEqual([
      '!ix-corr!run-1!0000000000000001', '!ix-corr!run-1!0000000000000003', '!ix-corr!run-10!0000000000000004',
    ]);
  });

  it("given a correlation with '!', when appended, then it is refused: it would break the index key", async () => {
    const store = await tmp.open();
    await expect(store.append([{ ...secret('x'), correlation: 'a!b' }])).rejects.toBeInstanceOf(InvalidEventError);
    expect(store.lastSeq).toBe(0);
  });

  it('given more than one index asked for, when read, then it is a TypeError, not a silent choice', async () => {
    const store = await tmp.open();
    await expect(events(store.read({ app: 'a', correlation: 'r' }))).rejects.toThrow(/at most one of app, correlation, type/);
  });

  it('given a record deleted behind the store, when read in full, then the gap is reported with its seqs and the rest still comes', async () => {
    const dir = join(tmp.dir(), 'db');
    const first = await EventStore.open(dir);
    await first.append([secret('a'), secret('b'), secret('c'), secret('d')]);
    await first.close();
    const raw = new Level<string, string>(dir);
    await raw.batch([{ type: 'del', key: '!log!0000000000000002' }, { type: 'del', key: '!log!0000000000000003' }]);
    await raw.close();

    const store = await tmp.open();
    const items = [];
    for await (const item of store.read()) items.push(item.ok ? item.event.seq : item);
    expect(items).toEqual([1, { ok: false, seq: 2, reason: 'seqs 2..3 are missing from the log (no compaction removed them)' }, 4]);
    expect(await store.get(2)).toBeUndefined();
  });

  it('given a new data dir, when opened, then nothing is said of an index rebuild; given a log whose indexes are gone, then it is', async () => {
    const dir = join(tmp.dir(), 'db');
    const notices: string[] = [];
    const first = await EventStore.open(dir, {}, (text) => notices.push(text));
    expect(notices).toEqual([]);
    await first.append([secret('a')]);
    await first.close();
    const raw = new Level<string, string>(dir);
    await raw.del('!meta!indexes');
    await raw.close();

    const again = await EventStore.open(dir, {}, (text) => notices.push(text));
    await again.close();
    expect(notices).toEqual([expect.stringMatching(/indexes are rebuilt once/)]);
  });
});
