// Fuzzing the event store with damaged logs (fast-check): an NDJSON export damaged as in
// event-log.test.ts and imported with EventStore.importEvents, and a LevelDB whose log records are
// themselves damaged or missing, opened and read. Neither may throw anything but a named error; what
// the store holds afterwards must be exactly what it should, and it must open again.
//
// PROP_RUNS sets the cases per property (default 200): `npm run fuzz` runs 10,000.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { ImportError } from '../../../src/log/errors.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { EventStore, type ReadItem } from '../../../src/log/store.js';
import { collect } from '../log/helpers.js';
import { APPS, damagedLog, linesOf } from './logs.js';
import { commandsHoldUp, fastTempDir, RUNS, TIMEOUT } from './support.js';

/**
 * A fresh tmpfs dir per test, and in it a fresh dir per property case (`caseDir`): the previous case's
 * stores are closed and its files removed first, so a 10,000-case run does not pile up 10,000 LevelDBs.
 */
function useFastTempDir(): { caseDir: () => Promise<string>; open: (dir: string) => Promise<EventStore> } {
  let tmp: Awaited<ReturnType<typeof fastTempDir>> | undefined;
  let stores: EventStore[] = [];
  let current: string | undefined;
  let n = 0;
  const release = async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
    if (current) await rm(current, { recursive: true, force: true, maxRetries: 3 });
  };
  beforeEach(async () => {
    tmp = await fastTempDir('podledger-fuzz-store');
  });
  afterEach(async () => {
    await release();
    await tmp?.cleanup();
  }, 60_000);
  return {
    caseDir: async () => {
      await release();
      n += 1;
      current = join(tmp!.path, `case-${n}`);
      await mkdir(current);
      return current;
    },
    open: async (dir) => {
      const s = await EventStore.open(dir);
      stores.push(s);
      return s;
    },
  };
}

describe('damaged NDJSON logs through EventStore.importEvents', () => {
  const tmp = useFastTempDir();

  /**
   * What import must do with the items of a file: events that continue the log gaplessly are written,
   * an event already present (same id at its seq) is skipped, anything else stops the import at its
   * line with an ImportError, everything before it imported.
   */
  function expected(items: ReadItem[]): { written: Envelope[]; skipped: number; stop?: { line: number; duplicate: boolean } } {
    const written: Envelope[] = [];
    let skipped = 0;
    let boot = 0;
    for (const [i, item] of items.entries()) {
      const line = i + 1;
      if (!item.ok) return { written, skipped, stop: { line, duplicate: false } };
      const e = item.event;
      if (e.seq <= written.length) {
        if (written[e.seq - 1]!.id === e.id) { skipped += 1; continue; }
        return { written, skipped, stop: { line, duplicate: false } };
      }
      if (e.seq !== written.length + 1 || e.boot < boot) return { written, skipped, stop: { line, duplicate: false } };
      boot = e.boot;
      written.push(e);
    }
    return { written, skipped };
  }

  it('given a damaged log file, when imported into an empty store, then it imports or stops with an ImportError naming the line, the store holds exactly the events before it, and it opens again', async () => {
    await fc.assert(fc.asyncProperty(damagedLog(20, 4), async ({ bytes }) => {
      const here = await tmp.caseDir();
      const file = join(here, 'import.ndjson');
      await writeFile(file, bytes);
      const items = await collect(readNdjson(file));
      const want = expected(items);
      const dir = join(here, 'db');
      let store = await tmp.open(dir);
      let error: unknown;
      let counts: { imported: number; skipped: number } | undefined;
      try {
        counts = await store.importEvents(readNdjson(file));
      } catch (err) {
        error = err;
      }
      const held = await collect(store.read());
      await store.close();

      if (error !== undefined) {
        expect(error).toBeInstanceOf(ImportError);
        const e = error as ImportError;
        expect(e.message).toMatch(new RegExp(`^import events: line ${e.line}\\b`));
        expect(e.reason).toMatch(/\S/);
        // everything before the offending line is in the store
        expect(held.every((i) => i.ok)).toBe(true);
        expect(e.line).toBe(want.stop?.line);
      } else {
        expect(want.stop).toBeUndefined();
        expect(counts).toEqual({ imported: want.written.length, skipped: want.skipped });
      }
      expect(held.map((i) => (i.ok ? JSON.stringify(i.event) : i))).toEqual(want.written.map((e) => JSON.stringify(e)));
      // an interrupted or completed import leaves a store that opens, at the right position
      store = await tmp.open(dir);
      expect(store.lastSeq).toBe(want.written.length);
      await store.close();
    }), RUNS);
  }, TIMEOUT);

  it('given one valid event line twice in a row, when imported, then the copy is skipped as already present', async () => {
    // Was a bug: "already present" was judged against the log's end at the start of each 1000-event
    // chunk, so a copy within the same chunk stopped the import asking for "seqs 2..0".
    const line = JSON.stringify({ seq: 1, id: 'e1', type: 'SecretRemoved', v: 1, at: 1, boot: 0, bootSeq: 1, source: 'secrets', data: { name: 'pw' } });
    const here = await tmp.caseDir();
    const file = join(here, 'twice.ndjson');
    await writeFile(file, `${line}\n${line}\n`);
    const store = await tmp.open(join(here, 'db'));
    expect(await store.importEvents(readNdjson(file))).toEqual({ imported: 1, skipped: 1 });
  });
});

describe('damaged records inside the LevelDB log', () => {
  const tmp = useFastTempDir();
  const pad = (n: number) => String(n).padStart(16, '0');

  it('given a store whose records are damaged or missing, when opened and read (whole, reversed, by app), then nothing throws, every record comes back under its seq, every bad one and every gap is named by seq with a reason', async () => {
    const arb = fc.record({ log: damagedLog(20, 5), missing: fc.array(fc.nat(), { maxLength: 3 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ log, missing }) => {
      const dir = join(await tmp.caseDir(), 'db');
      // The damaged lines as the values of log!<seq>, as if the disk had mangled them; some seqs removed.
      const values = linesOf(log.bytes);
      // never the last: a log's end is where its last record is (a lost tail is not detectable)
      const drop = new Set(values.length > 1 ? missing.map((m) => 1 + (m % (values.length - 1))) : []);
      const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
      await db.open();
      await db.batch(values.flatMap((value, i) => (drop.has(i + 1) ? [] : [{ type: 'put' as const, key: `!log!${pad(i + 1)}`, value }])));
      await db.close();
      const stored = values.map((_, i) => i + 1).filter((s) => !drop.has(s));

      const store = await tmp.open(dir);
      try {
        const items = await collect(store.read());
        const seqs = items.map((i) => (i.ok ? i.event.seq : i.seq));
        for (const s of stored) expect(seqs).toContain(s);
        for (const i of items) {
          if (i.ok) expect(stored).toContain(i.event.seq);
          else expect(i.reason).toMatch(/\S/);
        }
        // a gap is one item at its first seq: "seq N is missing from the log" / "seqs N..M are missing from the log"
        const isGap = (i: ReadItem) => !i.ok && / missing from the log/.test(i.reason);
        for (const s of drop) if (s <= Math.max(0, ...stored)) expect(items.some((i) => isGap(i) && !i.ok && i.seq <= s)).toBe(true);
        const bySeq = items.filter((i) => !isGap(i)).map((i) => (i.ok ? i.event.seq : i.seq));
        expect(bySeq).toEqual(stored);

        const reversed = await collect(store.read({ reverse: true }));
        expect(reversed.map((i) => (i.ok ? i.event.seq : i.seq))).toEqual([...stored].reverse());
        for (const app of APPS) {
          for (const i of await collect(store.read({ app }))) if (i.ok) expect(i.event.app).toBe(app);
        }
        const events = items.flatMap((i) => (i.ok ? [i.event] : []));
        commandsHoldUp(events);
      } finally {
        await store.close();
      }
    }), RUNS);
  }, TIMEOUT);
});
