// Whole reads a LevelDB chunk at a time, with the next chunk read ahead while one is used
// (reader.ts, `#readRange`): the same items as a read one by one, over several chunks, a reader that
// stops early closes cleanly, and a damaged record or a gap in a later chunk is still an item of its own.
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { initialState } from '../../../src/core/state.js';
import { foldItems } from '../../../src/log/fold.js';
import { READ_CHUNK } from '../../../src/log/keys.js';
import type { EventStore, ReadItem } from '../../../src/log/store.js';
import { bootData, collect, events, exited, secret, useTempDir } from './helpers.js';

const pad = (n: number): string => String(n).padStart(16, '0');
const TOTAL = READ_CHUNK * 2 + 345; // three chunks, the last one short

async function filled(store: EventStore): Promise<void> {
  await store.beginBoot(bootData);
  for (let n = 1; n < TOTAL; n += 500) {
    const count = Math.min(500, TOTAL - n);
    await store.append(Array.from({ length: count }, (_, i) => ((n + i) % 3 === 0 ? exited(`app${(n + i) % 7}`, (n + i) % 5) : secret(`s${(n + i) % 11}`))));
  }
}

const flat = async (batches: AsyncIterable<readonly ReadItem[]>): Promise<ReadItem[]> => (await collect(batches)).flat();

describe('EventStore.readBatches', () => {
  const tmp = useTempDir();

  describe(`given ${TOTAL} events, more than two chunks of ${READ_CHUNK}`, () => {
    it('when read in batches, then the items are those of a read one by one, in order, in chunks of at most READ_CHUNK', async () => {
      // given
      const store = await tmp.open();
      await filled(store);

      // when
      const batches = await collect(store.readBatches());
      const one = await collect(store.read());

      // then
      expect(batches.flat()).toEqual(one);
      expect(one.map((i) => (i.ok ? i.event.seq : -1))).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(batches.every((b) => b.length <= READ_CHUNK)).toBe(true);
      expect(stateHash(await foldItems(store.readBatches(), () => { throw new Error('no bad records here'); }))).toBe(stateHash(fold(await events(store.read()))));
    });

    it('when a reader stops after the first batch, then the store still reads and closes (the read ahead is waited for)', async () => {
      // given
      const store = await tmp.open();
      await filled(store);

      // when
      for await (const batch of store.readBatches()) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      const until = await foldItems(store.readBatches(), () => {}, READ_CHUNK + 10, initialState);

      // then
      expect(until.seq).toBe(READ_CHUNK + 10);
      expect((await flat(store.readBatches({ since: TOTAL - 3 }))).map((i) => (i.ok ? i.event.seq : -1))).toEqual([TOTAL - 2, TOTAL - 1, TOTAL]);
      await store.close();
    });
  });

  describe('given a record in the third chunk overwritten with garbage and another one removed', () => {
    it('when read in batches, then each is an item of its own where it lay and every other event is read', async () => {
      // given
      const dir = join(tmp.dir(), 'db');
      const first = await tmp.open(undefined, dir);
      await filled(first);
      await first.close();
      const raw = new Level<string, string>(dir);
      await raw.put(`!log!${pad(READ_CHUNK * 2 + 7)}`, '{"seq":');
      await raw.del(`!log!${pad(READ_CHUNK * 2 + 100)}`);
      await raw.close();
      const store = await tmp.open(undefined, dir);

      // when
      const items = await flat(store.readBatches());

      // then
      const bad = items.filter((i) => !i.ok);
      expect(bad.map((i) => (i.ok ? 0 : i.seq))).toEqual([READ_CHUNK * 2 + 7, READ_CHUNK * 2 + 100]);
      expect(bad[0]).toMatchObject({ reason: expect.stringMatching(/^not JSON/) });
      expect(bad[1]).toMatchObject({ reason: expect.stringMatching(/missing from the log/) });
      expect(items.filter((i) => i.ok)).toHaveLength(TOTAL - 2);
      expect(items).toEqual(await collect(store.read()));
    });
  });
});
