import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Level } from 'level';
import { DbLockedError, DbOpenError } from '../../../src/log/errors.js';
import { PassedOver } from '../../../src/log/reader.js';
import { EventStore } from '../../../src/log/store.js';
import { bootData, collect, events, exited, secret, useTempDir } from './helpers.js';

const pad = (n: number): string => String(n).padStart(16, '0');

describe('EventStore.open', () => {
  const tmp = useTempDir();

  describe('given a store that was closed after two boots', () => {
    it('when reopened, then every event is kept and seq, boot and bootSeq continue', async () => {
      // given
      const first = await EventStore.open(join(tmp.dir(), 'db'));
      await first.beginBoot(bootData);
      await first.append([secret('a'), secret('b')]);
      await first.beginBoot(bootData);
      await first.append([secret('c')]);
      const before = await events(first.read());
      await first.close();

      // when
      const store = await tmp.open();
      const [d] = await store.append([secret('d')]);
      const next = await store.beginBoot(bootData);

      // then
      expect(store.lastSeq).toBe(7);
      expect([d!.seq, d!.boot, d!.bootSeq]).toEqual([6, 2, 3]);
      expect([next.seq, next.boot, next.bootSeq]).toEqual([7, 3, 1]);
      expect((await events(store.read())).slice(0, 5)).toEqual(before);
      expect((await store.boots()).map((b) => [b.boot, b.first, b.last])).toEqual([[1, 1, 3], [2, 4, 6], [3, 7, 7]]);
    });
  });

  describe('given a store that is open', () => {
    it('when a second store opens the same dir, then it fails with DbLockedError naming the dir and the ways out', async () => {
      // given
      const store = await tmp.open();
      await store.append([secret('a')]);

      // when
      const second = EventStore.open(join(tmp.dir(), 'db'));

      // then
      const err = await second.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbLockedError);
      expect((err as DbLockedError).dir).toBe(join(tmp.dir(), 'db'));
      expect((err as Error).message).toMatch(/locked by another podledger process \(a running daemon\)/);
      expect((err as Error).message).toMatch(/--log FILE\.ndjson/);
      expect((err as Error).message).toMatch(/control socket/);
      expect(((err as Error).cause as { cause?: { code?: string } }).cause?.code).toBe('LEVEL_LOCKED');
    });

    it('when a raw Level opens the same dir in the same process, then it fails with LEVEL_LOCKED as the cause', async () => {
      // given
      await tmp.open();

      // when
      const raw = new Level(join(tmp.dir(), 'db'));
      const err = (await raw.open().catch((e: unknown) => e)) as { code?: string; cause?: { code?: string } };

      // then
      expect(err.code).toBe('LEVEL_DATABASE_NOT_OPEN');
      expect(err.cause?.code).toBe('LEVEL_LOCKED');
    });
  });

  describe('given a boots record that is garbage', () => {
    it('when opened, then DbOpenError says the position cannot be recovered and the LOCK is released', async () => {
      // given
      const dir = join(tmp.dir(), 'db');
      const first = await EventStore.open(dir);
      await first.beginBoot(bootData);
      await first.close();
      const raw = new Level<string, string>(dir);
      await raw.put(`!boots!${pad(1)}`, 'garbage');
      await raw.close();

      // when
      const err = await EventStore.open(dir).catch((e: unknown) => e);

      // then
      expect(err).toBeInstanceOf(DbOpenError);
      expect((err as Error).message).toMatch(/cannot recover the log position/);
      const again = new Level(dir);
      await again.open(); // not locked by the failed store
      await again.close();
    });
  });

  describe('given a path that cannot hold a database', () => {
    it('when opened, then DbOpenError names the dir', async () => {
      // given: a regular file where the db's CURRENT file should be
      const { writeFile, mkdir } = await import('node:fs/promises');
      const dir = join(tmp.dir(), 'db');
      await mkdir(join(dir, 'CURRENT'), { recursive: true });
      await writeFile(join(dir, 'LOG'), '');

      // when
      const err = await EventStore.open(dir).catch((e: unknown) => e);

      // then
      expect(err).toBeInstanceOf(DbOpenError);
      expect((err as Error).message).toMatch(new RegExp(`^open event log: ${dir}: `));
    });
  });
});

describe('EventStore.read', () => {
  const tmp = useTempDir();

  describe('given events of several apps over two boots', () => {
    async function seed() {
      const store = await tmp.open();
      await store.beginBoot(bootData); // 1
      await store.append([exited('fedimint'), exited('lnd'), secret('x')]); // 2 3 4
      await store.beginBoot(bootData); // 5
      await store.append([exited('fedimint', 2), secret('y', 'lnd'), exited('bitcoind')]); // 6 7 8
      return store;
    }

    it('when read by app, then exactly that app’s events come back, in seq order, via the index', async () => {
      const store = await seed();
      expect((await events(store.read({ app: 'fedimint' }))).map((e) => e.seq)).toEqual([2, 6]);
      expect((await events(store.read({ app: 'lnd' }))).map((e) => e.seq)).toEqual([3, 7]);
      expect(await events(store.read({ app: 'fedimin' }))).toEqual([]); // a prefix of an app is not that app
      expect((await events(store.read({ app: 'fedimint', since: 2 }))).map((e) => e.seq)).toEqual([6]);
    });

    it('when read with since/until/boot, then since is exclusive and until inclusive', async () => {
      const store = await seed();
      expect((await events(store.read({ since: 3, until: 6 }))).map((e) => e.seq)).toEqual([4, 5, 6]);
      expect((await events(store.read({ boot: 2 }))).map((e) => e.seq)).toEqual([5, 6, 7, 8]);
      expect((await events(store.read({ boot: 1, app: 'lnd' }))).map((e) => e.seq)).toEqual([3]);
      expect(await events(store.read({ boot: 9 }))).toEqual([]);
    });

    it('when a reader stops early, then its iterator is closed and the store still closes', async () => {
      const store = await seed();
      for await (const item of store.read()) if (item.ok) break;
      await store.close();
    });
  });

  // An index read asks for its next chunk while it decodes the current one, from its third chunk on
  // (reader.ts): long reads, both ways, lazily or not, and readers that stop with a chunk in flight.
  describe('given an app with more events than the first chunks of an index read hold', () => {
    async function seed() {
      const store = await tmp.open();
      await store.beginBoot(bootData);
      for (let i = 0; i < 6; i++) await store.append(Array.from({ length: 500 }, (_, j) => (j % 3 === 0 ? secret(`s${i}-${j}`) : exited(j % 3 === 1 ? 'a' : 'b', j % 100))));
      return store;
    }

    it('when read by app forwards, backwards and lazily, then each equals the full read filtered, in order', async () => {
      const store = await seed();
      const all = (await events(store.read())).filter((e) => e.app === 'a');
      expect(all.length).toBe(1002); // j % 3 === 1 of 6 × 500
      expect(await events(store.read({ app: 'a' }))).toEqual(all);
      expect(await events(store.read({ app: 'a', reverse: true }))).toEqual([...all].reverse());
      const lazily: number[] = [];
      for await (const batch of store.readLazily({ app: 'a' }, (type) => type !== 'ContainerExited')) {
        for (const item of batch) lazily.push(item instanceof PassedOver ? item.seq : item.ok ? item.event.seq : -1);
      }
      expect(lazily).toEqual(all.map((e) => e.seq));
      await store.close();
    });

    it('when readers stop in the middle (a chunk in flight), then the store still closes and reads again', async () => {
      const store = await seed();
      for (const stop of [100, 400, 900]) {
        let n = 0;
        for await (const item of store.read({ app: 'a' })) if (item.ok && ++n === stop) break;
        n = 0;
        for await (const item of store.read({ app: 'b', reverse: true })) if (item.ok && ++n === stop) break;
      }
      expect((await events(store.read({ app: 'b' }))).length).toBe(996);
      await store.close();
    });
  });

  describe('given a record overwritten with garbage through a raw handle', () => {
    it('when read, then the bad record is reported with its seq and every other record still comes through', async () => {
      // given
      const dir = join(tmp.dir(), 'db');
      const first = await EventStore.open(dir);
      await first.append([secret('a'), secret('b'), secret('c'), secret('d')]);
      await first.close();
      const raw = new Level<string, string>(dir);
      await raw.put(`!log!${pad(2)}`, '{"seq": 2, truncated');
      await raw.put(`!log!${pad(3)}`, JSON.stringify({ seq: 3, id: 'x', type: 'SecretObserved', v: 1, at: 1, boot: 0, bootSeq: 3, source: 'secrets', data: {} }));
      await raw.close();

      // when
      const store = await tmp.open();
      const items = await collect(store.read());

      // then
      expect(items.map((i) => (i.ok ? i.event.seq : -i.seq))).toEqual([1, -2, -3, 4]);
      expect(items[1]).toMatchObject({ ok: false, seq: 2, reason: expect.stringMatching(/^not JSON: /) });
      expect(items[2]).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/^bad SecretObserved data: name: /) });
    });
  });
});

describe('EventStore meta', () => {
  const tmp = useTempDir();

  it('given a stored value, when the store is reopened, then getMeta returns it; a missing key is undefined', async () => {
    const first = await EventStore.open(join(tmp.dir(), 'db'));
    await first.putMeta('snapshot', { seq: 42, foldVersion: 1 });
    await first.close();
    const store = await tmp.open();
    expect(await store.getMeta('snapshot')).toEqual({ seq: 42, foldVersion: 1 });
    expect(await store.getMeta('nope')).toBeUndefined();
  });
});
