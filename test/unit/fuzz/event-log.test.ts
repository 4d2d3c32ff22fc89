// Fuzzing the event log's readers with damaged logs (fast-check). Valid logs are simulated (./logs.ts),
// written as NDJSON, then damaged: bytes cut, flipped, inserted; lines reordered, duplicated, dropped;
// unknown types and versions; wrong data shapes; binary garbage; blank lines; CRLF, BOM, no final newline.
// Every reader must hold up: readNdjson + collect, decodeEvent, EventStore.importEvents, and a store
// whose LevelDB records themselves are damaged. And what decodes must fold, plan, check and render
// (what replay, status, events, why, diff and replay --check do with it) without throwing.
//
// PROP_RUNS sets the cases per property (default 200, like the manifest properties): `npm run fuzz` runs 10,000.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { renderEvent } from '../../../src/core/render.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { collect as collectEvents, foldItems } from '../../../src/log/fold.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { collect } from '../log/helpers.js';
import { damage, damagedLog, damageLines, linesOf, validLines } from './logs.js';
import { commandsHoldUp, fastTempDir, lineNo, RUNS, runCommandsOver, TIMEOUT } from './support.js';

describe('valid logs (the generator, and the baseline every damage is measured against)', () => {
  it('given a simulated log, when written as NDJSON and read back, then every line decodes to its event, and replay --check agrees with every recorded decision', async () => {
    const tmp = await fastTempDir('podledger-fuzz');
    try {
      await fc.assert(fc.asyncProperty(validLines(), async (lines) => {
        const file = join(tmp.path, 'valid.ndjson');
        await writeFile(file, lines.map((l) => `${l}\n`).join(''));
        const items = await collect(readNdjson(file));
        expect(items.filter((i) => !i.ok)).toEqual([]);
        const events = items.flatMap((i) => (i.ok ? [i.event] : []));
        expect(events.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
        expect(checkDecisions(events).divergence).toBeUndefined();
        runCommandsOver(events);
      }), RUNS);
    } finally {
      await tmp.cleanup();
    }
  }, TIMEOUT);
});

describe('damaged NDJSON logs through readNdjson', () => {
  it('given a damaged log file, when read with readNdjson and collect, then it never throws, yields one item per line, names every rejected line with a reason, lets every intact line through, and what decodes folds, plans, checks and renders', async () => {
    const tmp = await fastTempDir('podledger-fuzz');
    try {
      await fc.assert(fc.asyncProperty(damagedLog(), async ({ original, bytes }) => {
        const file = join(tmp.path, 'damaged.ndjson');
        await writeFile(file, bytes);
        const items = await collect(readNdjson(file));
        const lines = linesOf(bytes);

        // one item per line, in order: the n-th item is line n
        expect(items).toHaveLength(lines.length);
        items.forEach((item, i) => {
          if (item.ok) return;
          expect(lineNo(item.reason), `item ${i + 1}: ${item.reason}`).toBe(i + 1);
          expect(typeof item.seq).toBe('number');
        });

        // an intact line (byte for byte one of the log's) comes through as its event
        const intact = new Map(original.map((l) => [l, decodeEvent(JSON.parse(l))]));
        lines.forEach((line, i) => {
          const want = intact.get(line);
          if (!want) return;
          const got = items[i]!;
          expect(got.ok, `line ${i + 1} is intact but was rejected: ${got.ok ? '' : got.reason}`).toBe(true);
          if (got.ok && want.ok) expect(JSON.stringify(got.event)).toBe(JSON.stringify(want.event));
        });

        // collect: the ok items, and one report per bad item with its seq and reason
        const reported: { seq: number; reason: string }[] = [];
        const events = await collectEvents(readNdjson(file), (seq, reason) => reported.push({ seq, reason }));
        expect(events).toEqual(items.flatMap((i) => (i.ok ? [i.event] : [])));
        expect(reported).toEqual(items.flatMap((i) => (i.ok ? [] : [{ seq: i.seq, reason: i.reason }])));

        // replay's fold of the items, and every command's use of the events
        const corrupt: number[] = [];
        const state = await foldItems(readNdjson(file), (seq) => corrupt.push(seq));
        expect(corrupt).toHaveLength(reported.length);
        expect(stateHash(state)).toBe(stateHash(fold(events)));
        commandsHoldUp(events);
      }), RUNS);
    } finally {
      await tmp.cleanup();
    }
  }, TIMEOUT);

  it('given a file of binary garbage (or text that is almost JSON), when read, then every line is rejected by number and nothing throws', async () => {
    const tmp = await fastTempDir('podledger-fuzz');
    try {
      const junk = fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
        fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.eE-+ \n\r\tnulltruefalse\\'.split('')), maxLength: 200 }).map((s) => Buffer.from(s)),
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 10 }).map((vs) => Buffer.from(vs.map((v) => JSON.stringify(v)).join('\n'))),
      );
      await fc.assert(fc.asyncProperty(junk, async (bytes) => {
        const file = join(tmp.path, 'junk.ndjson');
        await writeFile(file, bytes);
        const items = await collect(readNdjson(file));
        expect(items).toHaveLength(linesOf(bytes).length);
        items.forEach((item, i) => {
          if (!item.ok) expect(lineNo(item.reason)).toBe(i + 1);
        });
        commandsHoldUp(items.flatMap((i) => (i.ok ? [i.event] : [])));
      }), RUNS);
    } finally {
      await tmp.cleanup();
    }
  }, TIMEOUT);
});

describe('decodeEvent on damaged records', () => {
  const damagedRecord = fc.record({ lines: validLines(8), damages: fc.array(damage, { minLength: 1, maxLength: 3 }) })
    .chain(({ lines, damages }) => {
      const damaged = damageLines(lines, damages).map((b) => b.toString('utf8'));
      return damaged.length === 0 ? fc.constant('') : fc.constantFrom(...damaged);
    });

  it('given any JSON value, or a damaged record, when decoded, then decodeEvent returns (never throws): a rejection carries a reason and the record\'s own seq; an accepted event decodes again to itself', () => {
    const raw = fc.oneof(
      damagedRecord.map((line): unknown => {
        try {
          return JSON.parse(line);
        } catch {
          return line;
        }
      }),
      fc.jsonValue({ maxDepth: 4 }),
      fc.anything({ maxDepth: 3 }),
    );
    fc.assert(fc.property(raw, (value) => {
      const r = decodeEvent(value);
      if (!r.ok) {
        expect(r.reason).toMatch(/\S/);
        const own = typeof value === 'object' && value !== null ? (value as { seq?: unknown }).seq : undefined;
        expect(r.seq).toBe(typeof own === 'number' ? own : undefined);
        return;
      }
      // The store writes what decoding reads back: a decoded event is a fixed point, through JSON too.
      const again = decodeEvent(JSON.parse(JSON.stringify(r.event)));
      expect(again.ok).toBe(true);
      if (again.ok) expect(JSON.stringify(again.event)).toBe(JSON.stringify(r.event));
    }), RUNS);
  });
});

describe('times outside the Date range (found by the property above; fixed in 63afbde)', () => {
  const record = (at: number) => ({ seq: 1, id: 'e1', type: 'SecretRemoved', v: 1, at, boot: 0, bootSeq: 1, source: 'secrets', data: { name: 'pw' } });

  it('given a record dated past what a Date holds (at: 1e17), when decoded, then it is rejected as corrupt with its seq, not passed on to throw in rendering', () => {
    // Was: it decoded, and renderEvent threw RangeError "Invalid time value" (events --log exited 3).
    const r = decodeEvent(record(1e17));
    expect(r).toMatchObject({ ok: false, seq: 1 });
    expect(r.ok ? '' : r.reason).toMatch(/^bad envelope: at: /);
  });

  it('given a time no Date can hold inside the data (a BackoffScheduled until of 1e17), when rendered and shown by status, then nothing throws', () => {
    const r = decodeEvent({ ...record(1_700_000_000_000), type: 'BackoffScheduled', app: 'alpha', data: { attempt: 0, until: 1e17, delayMs: 1000 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(renderEvent(r.event)).toContain('not before');
    expect(() => runCommandsOver([r.event])).not.toThrow();
  });

  it('given an ordinary time, when rendered, then it is ISO 8601', () => {
    const r = decodeEvent(record(1_700_000_000_000));
    expect(r.ok && renderEvent(r.event)).toBe('#1 2023-11-14T22:13:20.000Z boot 0 SecretRemoved pw');
  });
});
