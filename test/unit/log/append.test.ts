import { describe, expect, it, vi } from 'vitest';
import type { Level } from 'level';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { DbWriteError, InvalidEventError } from '../../../src/log/errors.js';
import type { EventStore } from '../../../src/log/store.js';
import { bootData, events, exited, rng, secret, useTempDir } from './helpers.js';

const rawDb = (s: EventStore): Level<string, string> => (s as unknown as { db: Level<string, string> }).db;

type WriteOptions = { sync?: boolean };
/**
 * Watch the store's batch writes (a chained batch of the root db, written with `write(options)`):
 * every write's options are recorded; `around` may hold or fail a write.
 */
function watchWrites(store: EventStore, around: (write: () => Promise<void>) => Promise<void> = (write) => write()) {
  const db = rawDb(store);
  const original = db.batch.bind(db) as () => ReturnType<Level<string, string>['batch']>;
  const writes: WriteOptions[] = [];
  const spy = vi.spyOn(db, 'batch').mockImplementation((() => {
    const batch = original();
    const write = batch.write.bind(batch) as (o: WriteOptions) => Promise<void>;
    (batch as unknown as { write: (o: WriteOptions) => Promise<void> }).write = (o: WriteOptions) => {
      writes.push(o);
      return around(() => write(o));
    };
    return batch;
  }) as never);
  return { spy, writes };
}

describe('EventStore.append', () => {
  const tmp = useTempDir();

  describe('given an empty store', () => {
    it('when 50 producers append batches of random sizes at once, then seqs are gapless from 1 and each call stays contiguous', async () => {
      // given
      const store = await tmp.open();
      const rand = rng(7);
      const calls = Array.from({ length: 50 }, (_, c) => Array.from({ length: 1 + Math.floor(rand() * 20) }, (_, i) => secret(`s${c}-${i}`, `app${c % 5}`)));

      // when
      const results = await Promise.all(calls.map((drafts) => store.append(drafts)));

      // then
      const total = calls.reduce((n, d) => n + d.length, 0);
      const seqs = results.flat().map((e) => e.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      results.forEach((envs, c) => {
        expect(envs.map((e) => e.seq)).toEqual(envs.map((_, i) => envs[0]!.seq + i));
        expect(envs.map((e) => (e.data as { name: string }).name)).toEqual(calls[c]!.map((d) => (d.data as { name: string }).name));
      });
      expect(store.lastSeq).toBe(total);
      expect((await events(store.read())).map((e) => e.seq)).toEqual(seqs);
    });

    it('when drafts are appended, then the store fills in id, v, at, boot and bootSeq', async () => {
      // given
      const store = await tmp.open({ clock: () => 1234, newId: () => 'the-id' });

      // when
      const [env] = await store.append([exited('fedimint', 137)]);

      // then
      expect(env).toEqual({
        seq: 1, id: 'the-id', type: 'ContainerExited', v: 1, at: 1234, boot: 0, bootSeq: 1, source: 'podman', app: 'fedimint',
        data: { id: 'c-fedimint', name: 'fedimint', exitCode: 137 },
      });
    });

    it('when beginBoot is called between appends, then boot numbers increase and bootSeq restarts at 1', async () => {
      // given
      const store = await tmp.open();

      // when
      const b1 = await store.beginBoot(bootData);
      const [a, b] = await store.append([secret('a'), secret('b')]);
      const b2 = await store.beginBoot({ ...bootData, version: '0.2.0' });
      const [c] = await store.append([secret('c')]);

      // then
      expect([b1, a, b, b2, c].map((e) => [e!.seq, e!.boot, e!.bootSeq])).toEqual([[1, 1, 1], [2, 1, 2], [3, 1, 3], [4, 2, 1], [5, 2, 2]]);
      expect(b1.type).toBe('BootStarted');
      expect(store.boot).toBe(2);
      expect(await store.boots()).toEqual([
        { boot: 1, first: 1, last: 3, version: '0.1.0' },
        { boot: 2, first: 4, last: 5, version: '0.2.0' },
      ]);
    });
  });

  describe('durability and group commit', () => {
    it('when an append is waiting on its batch, then it resolves only after the batch write resolved, and with sync: true', async () => {
      // given
      const store = await tmp.open();
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { spy, writes } = watchWrites(store, async (write) => {
        await gate;
        await write();
        order.push('batch written');
      });

      // when
      const pending = store.append([secret('a')]).then(() => order.push('append resolved'));
      await new Promise((r) => setTimeout(r, 20));

      // then
      expect(order).toEqual([]); // still waiting on the (held) write
      release();
      await pending;
      expect(order).toEqual(['batch written', 'append resolved']);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(writes).toEqual([{ sync: true }]);
    });

    it('when 200 appends arrive concurrently, then they are written in far fewer batches', async () => {
      // given
      const store = await tmp.open();
      const { spy, writes } = watchWrites(store);

      // when: 8 producers, each awaiting its own append before the next
      await Promise.all(Array.from({ length: 8 }, async (_, p) => {
        for (let i = 0; i < 25; i++) await store.append([secret(`p${p}-${i}`)]);
      }));

      // then
      expect(store.lastSeq).toBe(200);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(50);
      expect(writes).toHaveLength(spy.mock.calls.length);
      for (const options of writes) expect(options).toEqual({ sync: true });
    });

    it('when appends are written, then "appended" is emitted once per batch, in seq order, after the write', async () => {
      // given
      const store = await tmp.open();
      const seen: number[][] = [];
      store.on('appended', (envs: Envelope[]) => seen.push(envs.map((e) => e.seq)));

      // when
      await Promise.all([store.append([secret('a'), secret('b')]), store.append([secret('c')])]);
      await store.append([secret('d')]);

      // then
      expect(seen).toEqual([[1, 2, 3], [4]]);
    });

    it('when a batch write fails, then all its waiters reject and the next append reuses the seqs', async () => {
      // given
      const store = await tmp.open();
      await store.append([secret('before')]);
      let failures = 1;
      watchWrites(store, async (write) => {
        if (failures-- > 0) throw new Error('disk full');
        await write();
      });

      // when
      const failed = await Promise.allSettled([store.append([secret('x')]), store.append([secret('y'), secret('z')])]);
      const [next] = await store.append([secret('after')]);

      // then
      for (const r of failed) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DbWriteError);
        expect(String((r as PromiseRejectedResult).reason.message)).toMatch(/batch of 3 events was not written: disk full/);
      }
      expect(next!.seq).toBe(2);
      expect((await events(store.read())).map((e) => (e.data as { name: string }).name)).toEqual(['before', 'after']);
    });
  });

  describe('given an invalid draft', () => {
    it.each<[string, Draft]>([
      ['bad data', { type: 'ContainerExited', source: 'podman', data: { id: 'c1', name: 'x', exitCode: 'boom' } } as unknown as Draft],
      ['unknown type', { type: 'Nope', source: 'cli', data: {} } as unknown as Draft],
      ['unknown source', { ...secret('a'), source: 'nowhere' } as unknown as Draft],
      ["app with '!'", secret('a', 'bad!app')],
      ['causedBy 0', { ...secret('a'), causedBy: 0 }],
      ['a BigInt in an unknown-typed field', {
        type: 'ActionStarted', source: 'reconciler', app: 'a',
        data: { action: { kind: 'create', app: 'a', reasons: [{ code: 'spec-changed', from: 10n }] } },
      }],
    ])('when appended with %s, then InvalidEventError is thrown and nothing of the call is written', async (_name, bad) => {
      // given
      const store = await tmp.open();
      await store.append([secret('kept')]);

      // when
      const result = store.append([secret('ok-before'), bad]);

      // then
      await expect(result).rejects.toBeInstanceOf(InvalidEventError);
      await expect(result).rejects.toThrow(/^append event: \w+: /);
      expect(store.lastSeq).toBe(1);
      expect((await events(store.read())).map((e) => (e.data as { name: string }).name)).toEqual(['kept']);
    });
  });
});
