// Health verdicts: failures in the start period do not count; `retries` consecutive failures make an
// app unhealthy; one success makes it healthy.
import { describe, expect, it } from 'vitest';
import { nextProbeIn, nextStatus } from '../../../src/observe/health.js';

const check = { type: 'tcp' as const, port: 80, intervalMs: 30_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 60_000 };
const fail = { ok: false as const, detail: 'ECONNREFUSED' };

describe('health verdicts', () => {
  it('given a starting app, when probes fail inside the start period, then it stays starting; after it, retries failures make it unhealthy', () => {
    let s = { status: 'starting' as const, streak: 0 } as { status: 'starting' | 'healthy' | 'unhealthy'; streak: number };
    for (let i = 0; i < 5; i++) s = nextStatus(s, fail, check, 0, 10_000 * i);
    expect(s).toEqual({ status: 'starting', streak: 0 });
    s = nextStatus(s, fail, check, 0, 60_000);
    s = nextStatus(s, fail, check, 0, 90_000);
    expect(s.status).toBe('starting');
    s = nextStatus(s, fail, check, 0, 120_000);
    expect(s).toEqual({ status: 'unhealthy', streak: 3 });
    expect(nextStatus(s, { ok: true }, check, 0, 150_000)).toEqual({ status: 'healthy', streak: 0 });
  });

  it('given a healthy app, when a probe fails fewer than retries times, then it stays healthy', () => {
    const s = nextStatus(nextStatus({ status: 'healthy', streak: 0 }, fail, check, 0, 100_000), fail, check, 0, 130_000);
    expect(s).toEqual({ status: 'healthy', streak: 2 });
  });

  it('given a starting app, when probed, then it is probed quickly until its first verdict, then every interval', () => {
    expect(nextProbeIn('starting', check)).toBe(100);
    expect(nextProbeIn('healthy', check)).toBe(30_000);
    expect(nextProbeIn('starting', { ...check, intervalMs: 50 })).toBe(50);
  });

  it('given a starting app, when its first probes fail, then the first retries come sooner (10, 20, 40, 80 ms), then every 100 ms, never past the interval', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => nextProbeIn('starting', check, n))).toEqual([10, 10, 20, 40, 80, 100, 100]);
    expect([1, 2, 3].map((n) => nextProbeIn('starting', { ...check, intervalMs: 15 }, n))).toEqual([10, 15, 15]);
    expect(nextProbeIn('healthy', check, 1)).toBe(30_000);
    expect(nextProbeIn('starting', { ...check, type: 'exec' as const, command: ['true'] }, 1)).toBe(100);
  });
});
