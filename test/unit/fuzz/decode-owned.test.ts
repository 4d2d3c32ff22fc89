// decodeOwned (the fast path readers of stored records and NDJSON lines take) must give exactly what
// decodeEvent gives: the same acceptance, the same reasons and seqs, the same event down to its key
// order (exports serialise decoded events, so their bytes depend on it). Checked on valid records of
// every type, on damaged ones, on records with one value replaced or keys reordered, and on any JSON.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, decodeOwned } from '../../../src/core/events.js';
import { damage, damageLines, validLines } from './logs.js';
import { RUNS } from './support.js';

const same = (value: unknown): void => {
  const slow = decodeEvent(structuredClone(value));
  const fast = decodeOwned(structuredClone(value));
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
  expect(fast).toEqual(slow);
  expect(keyPaths(fast)).toEqual(keyPaths(slow)); // keys present with undefined too
};

function keyPaths(value: unknown, at = '$'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [`${at}.${k}`, ...keyPaths(v, `${at}.${k}`)]);
}

/** Every leaf and object of a JSON value, by path. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

function replaced(value: unknown, at: (string | number)[], by: unknown, how: 'set' | 'delete' | 'reorder' | 'extra'): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> | undefined;
  let node: unknown = copy;
  for (const k of at) {
    parent = node as Record<string | number, unknown>;
    node = parent[k];
  }
  if (how === 'set') {
    if (!parent) return by;
    parent[at.at(-1)!] = by;
  } else if (how === 'delete') {
    if (parent && !Array.isArray(parent)) delete parent[at.at(-1)!];
  } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    const o = node as Record<string, unknown>;
    const entries = Object.entries(o);
    for (const k of Object.keys(o)) delete o[k];
    for (const [k, v] of how === 'reorder' ? entries.reverse() : entries) o[k] = v;
    if (how === 'extra') o.unexpected = by;
  }
  return copy;
}

const replacement = fc.oneof(
  fc.constantFrom(undefined, 0, -1, 1, 1.5, 2 ** 53, -(2 ** 53), 8.64e15, 8.64e15 + 1, '', 'x', 'tmpfs', 'bind', 'start', 'running', 'healthy', null, true, [], {}, [1], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);

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
