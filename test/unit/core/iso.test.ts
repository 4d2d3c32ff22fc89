// `iso` formats whole ms of years 1970-9999 by hand (a cached day, the time of day written out): held
// here to `Date.prototype.toISOString`, the plain way, over that range, its edges and what lies outside.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso } from '../../../src/core/render.js';

const plain = (ms: number): string => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `(time ${ms})` : d.toISOString();
};

describe('iso', () => {
  it('given any time, in the fast range or not (fractions, negatives, past year 9999, beyond what a Date holds), when formatted, then it reads as toISOString does', () => {
    const edges = [0, 1, 999, 1000, 59_999, 3_599_999, 86_399_999, 86_400_000, 1_700_000_000_123, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5, -0.5, 8.64e15, 8.64e15 + 1, NaN, Infinity, -Infinity];
    for (const ms of edges) expect(iso(ms), String(ms)).toBe(plain(ms));
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 253_402_300_800_000 }), fc.double()), (ms) => {
      expect(iso(ms)).toBe(plain(ms));
    }), { numRuns: 20_000 });
  });

  it('given times of one day in any order, when formatted one after another, then each is its own (the cached day never leaks)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1_699_000_000_000, max: 1_701_000_000_000 }), { minLength: 2 }), (times) => {
      expect(times.map(iso)).toEqual(times.map(plain));
    }));
  });
});
