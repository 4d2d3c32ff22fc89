// The one doubling formula: the podman event stream's reconnects and an app's crash-loop backoff.
import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, doubling } from '../../../src/core/backoff.js';

describe('doubling', () => {
  it('given attempts 0, 1, 2, …, then base, twice base, four times base, … up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => doubling(n, 250, 10_000))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000]);
    expect(doubling(8, BACKOFF_BASE_MS, BACKOFF_CAP_MS)).toBe(256_000);
    expect(doubling(9, BACKOFF_BASE_MS, BACKOFF_CAP_MS)).toBe(BACKOFF_CAP_MS);
  });

  it('given a huge attempt or a zero base, then a finite wait: the cap, or zero', () => {
    expect(doubling(1e6, 250, 10_000)).toBe(10_000);
    expect(doubling(1e6, 0, 10_000)).toBe(0);
  });
});
