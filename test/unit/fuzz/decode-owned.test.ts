// decodeOwned (the fast path readers of stored records and NDJSON lines take) must give exactly what
// decodeEvent gives: the same acceptance, the same reasons and seqs, the same event down to its key
// order (exports serialise decoded events, so their bytes depend on it). Checked on valid records of
// every type, on damaged ones, on records with one value replaced or keys reordered, and on any JSON.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, decodeEvent, decodeOwned, ownedFast, type EventType } from '../../../src/core/events.js';
import { damage, damageLines, validLines } from './logs.js';
import { keyPaths, paths, replaced, replacement } from './mutate.js';
import { RUNS } from './support.js';

const same = (value: unknown): void => {
  const slow = decodeEvent(structuredClone(value));
  const fast = decodeOwned(structuredClone(value));
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
  expect(fast).toEqual(slow);
  expect(keyPaths(fast)).toEqual(keyPaths(slow)); // keys present with undefined too
};

const recorded: unknown[] = ['events', 'replay'].flatMap((dir) => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.ndjson'))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim()))
      .flatMap((l) => { try { return [JSON.parse(l) as unknown]; } catch { return []; } });
  } catch {
    return [];
  }
});

describe('decodeOwned, the fast decode of records fresh from JSON.parse', () => {
  it('given the recorded logs of the repository, when each record is decoded, then decodeOwned gives what decodeEvent gives', () => {
    expect(recorded.length).toBeGreaterThan(0);
    recorded.forEach(same);
  });

  it('given valid records of the current versions, in the store\'s key order or any other, when decoded, then the fast path takes them (zod is not asked)', () => {
    fc.assert(fc.property(validLines(12), fc.boolean(), (lines, reverse) => {
      for (const l of lines) {
        const r = JSON.parse(l) as Record<string, unknown>;
        if (r.v !== CURRENT_VERSION[r.type as EventType]) continue; // an older one is upcast by zod
        const raw = reverse ? Object.fromEntries(Object.entries(r).reverse()) : r;
        const fast = ownedFast(structuredClone(raw));
        const slow = decodeEvent(structuredClone(raw));
        expect(fast).toBeDefined();
        expect(slow.ok && JSON.stringify(fast)).toBe(slow.ok && JSON.stringify(slow.event));
      }
    }), RUNS);
  });

  it('given a valid record with one value replaced, removed, keys reordered or an extra key, when decoded, then decodeOwned gives what decodeEvent gives', () => {
    const record = validLines(12).filter((ls) => ls.length > 0).chain((ls) => fc.constantFrom(...ls)).map((l) => JSON.parse(l) as unknown);
    const changed = record.chain((r) => fc.tuple(fc.constant(r), fc.constantFrom(...paths(r)), replacement, fc.constantFrom('set' as const, 'delete' as const, 'reorder' as const, 'extra' as const)));
    fc.assert(fc.property(changed, ([r, at, by, how]) => {
      same(r);
      same(replaced(r, at, by, how));
    }), { numRuns: RUNS.numRuns * 5 });
  });

  it('given damaged records and any JSON value, when decoded, then decodeOwned gives what decodeEvent gives', () => {
    const damaged = fc.record({ lines: validLines(8), damages: fc.array(damage, { minLength: 1, maxLength: 3 }) })
      .chain(({ lines, damages }) => {
        const out = damageLines(lines, damages).map((b) => b.toString('utf8'));
        return out.length === 0 ? fc.constant('') : fc.constantFrom(...out);
      })
      .map((line): unknown => { try { return JSON.parse(line); } catch { return line; } });
    fc.assert(fc.property(fc.oneof(damaged, fc.jsonValue({ maxDepth: 4 })), same), RUNS);
  });
});
