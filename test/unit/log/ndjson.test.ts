import { createWriteStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { Level } from 'level';
import { ImportError } from '../../../src/log/errors.js';
import { MAX_LINE_CHARS, readNdjson, writeNdjson } from '../../../src/log/ndjson.js';
import type { EventStore, ReadItem } from '../../../src/log/store.js';
import { bootData, collect, events, exited, fixedOpts, secret, useTempDir } from './helpers.js';

async function exportTo(store: EventStore, file: string): Promise<number> {
  const out = createWriteStream(file);
  const n = await writeNdjson(
    (async function* () {
      for await (const item of store.read()) if (item.ok) yield item.event;
    })(),
    out,
  );
  out.end();
  await finished(out);
  return n;
}

async function* only(items: ReadItem[]): AsyncGenerator<ReadItem> {
  yield* items;
}

describe('NDJSON export and import', () => {
  const tmp = useTempDir();

  async function seeded(): Promise<EventStore> {
    const store = await tmp.open(fixedOpts(), join(tmp.dir(), 'a'));
    await store.beginBoot(bootData);
    await store.append([exited('fedimint', 137), secret('rpc', 'bitcoind')]);
    await store.beginBoot({ ...bootData, version: '0.2.0' });
    await store.append([{ ...secret('x'), causedBy: 2, correlation: 'run-1' }]);
    // more than one import batch (1000)
    await store.append(Array.from({ length: 1500 }, (_, i) => secret(`bulk-${i}`, `app${i % 3}`)));
    return store;
  }

  describe('given a store with two boots and 1505 events', () => {
    it('when exported and imported into a fresh store, then the stores hold byte-identical records, indexes and boots', async () => {
      // given
      const a = await seeded();
      const fileA = join(tmp.dir(), 'a.ndjson');
      expect(await exportTo(a, fileA)).toBe(1505);

      // when
      const b = await tmp.open({}, join(tmp.dir(), 'b'));
      const counts = await b.importEvents(readNdjson(fileA));
      const fileB = join(tmp.dir(), 'b.ndjson');
      await exportTo(b, fileB);

      // then
      expect(counts).toEqual({ imported: 1505, skipped: 0 });
      expect(await readFile(fileB, 'utf8')).toBe(await readFile(fileA, 'utf8'));
      expect(await events(b.read())).toEqual(await events(a.read()));
      expect(await b.boots()).toEqual(await a.boots());
      expect(await events(b.read({ app: 'app1' }))).toEqual(await events(a.read({ app: 'app1' })));
      expect([b.lastSeq, b.boot]).toEqual([1505, 2]);
      // the raw stored values too
      const [ra, rb] = [a, b].map((s) => (s as unknown as { db: Level<string, string> }).db);
      expect(await rb!.iterator().all()).toEqual(await ra!.iterator().all());
    });

    it('when the same export is imported a second time, then everything is skipped and nothing changes', async () => {
      // given
      const a = await seeded();
      const file = join(tmp.dir(), 'a.ndjson');
      await exportTo(a, file);
      const b = await tmp.open({}, join(tmp.dir(), 'b'));
      await b.importEvents(readNdjson(file));

      // when
      const again = await b.importEvents(readNdjson(file));

      // then
      expect(again).toEqual({ imported: 0, skipped: 1505 });
      expect(b.lastSeq).toBe(1505);
      const [next] = await b.append([secret('after')]);
      expect([next!.seq, next!.boot, next!.bootSeq]).toEqual([1506, 2, 1503]); // boot 2 began at seq 4
    });
  });

  describe('given an export that does not continue the store', () => {
    it('when it starts past lastSeq + 1, then ImportError names the line, the seq and the fix, and nothing is written', async () => {
      // given
      const a = await seeded();
      const all = await collect(a.read());
      const b = await tmp.open({}, join(tmp.dir(), 'b'));

      // when
      const err = await b.importEvents(only(all.slice(3))).catch((e: unknown) => e);

      // then
      expect(err).toBeInstanceOf(ImportError);
      expect(err).toMatchObject({ line: 1, seq: 4 });
      expect((err as Error).message).toMatch(/^import events: line 1 \(seq 4\): expected seq 1 .*import the export that holds seqs 1\.\.3 first/);
      expect(b.lastSeq).toBe(0);
    });

    it('when a different event sits at an existing seq, then ImportError says so', async () => {
      // given
      const a = await seeded();
      const b = await tmp.open({}, join(tmp.dir(), 'b'));
      await b.append([secret('local')]);

      // when
      const err = await b.importEvents(a.read()).catch((e: unknown) => e);

      // then
      expect(err).toMatchObject({ line: 1, seq: 1 });
      expect((err as Error).message).toMatch(/seq 1 already holds a different event/);
    });

    it('when line 3 of a file is bad, then lines 1-2 are imported and ImportError names line 3', async () => {
      // given
      const a = await seeded();
      const file = join(tmp.dir(), 'a.ndjson');
      await exportTo(a, file);
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines[2] = '{"seq":3,"oops"';
      await writeFile(file, lines.join('\n'));
      const b = await tmp.open({}, join(tmp.dir(), 'b'));

      // when
      const err = await b.importEvents(readNdjson(file)).catch((e: unknown) => e);

      // then
      expect(err).toBeInstanceOf(ImportError);
      expect(err).toMatchObject({ line: 3 });
      expect((err as Error).message).toMatch(/line 3: not JSON: .*2 events were imported/);
      expect(b.lastSeq).toBe(2);
    });
  });

  describe('readNdjson', () => {
    it('given bad lines, when read, then each is reported with its line number and seq when known, and good lines still come', async () => {
      // given
      const a = await seeded();
      const [one, two] = (await events(a.read({ until: 2 }))).map((e) => JSON.stringify(e));
      const file = join(tmp.dir(), 'mixed.ndjson');
      await writeFile(file, [one, 'not json', '', JSON.stringify({ ...JSON.parse(two!), type: 'Mystery' }), two].join('\n') + '\n');

      // when
      const items = await collect(readNdjson(file));

      // then
      expect(items.map((i) => i.ok)).toEqual([true, false, false, false, true]);
      expect(items[1]).toMatchObject({ seq: 0, reason: expect.stringMatching(/^line 2: not JSON/) });
      expect(items[2]).toMatchObject({ seq: 0, reason: 'line 3: empty line' });
      expect(items[3]).toMatchObject({ seq: 2, reason: "line 4: unknown event type 'Mystery'" });
    });

    it('given a line longer than MAX_LINE_CHARS between two events, then it is one bad line, never held whole, and the events on either side come', async () => {
      // given
      const [one, two] = (await events((await seeded()).read({ until: 2 }))).map((e) => JSON.stringify(e));
      const file = join(tmp.dir(), 'long.ndjson');
      const fh = await open(file, 'w');
      await fh.write(`${one}\n`);
      const mib = 'y'.repeat(1 << 20);
      for (let i = 0; i < MAX_LINE_CHARS / (1 << 20) + 1; i++) await fh.write(mib);
      await fh.write(`\n${two}\n`);
      await fh.close();

      // when
      const items = await collect(readNdjson(file));

      // then
      expect(items.map((i) => i.ok)).toEqual([true, false, true]);
      expect(items[1]).toMatchObject({ seq: 0, reason: 'line 2: longer than 32 MiB: not read' });
    });

    it('given lines ended by lone CRs past MAX_LINE_CHARS in all, then each is still a line', async () => {
      // given
      const [one] = (await events((await seeded()).read({ until: 1 }))).map((e) => JSON.stringify(e));
      const file = join(tmp.dir(), 'cr.ndjson');
      const count = Math.ceil((MAX_LINE_CHARS + (1 << 20)) / (one!.length + 1));
      await writeFile(file, `${one}\r`.repeat(count));

      // when
      const items = await collect(readNdjson(file));

      // then: every line read (the same event each time), none passed over as too long
      expect(items).toHaveLength(count);
      expect(items.every((i) => i.ok)).toBe(true);
    });
  });
});
