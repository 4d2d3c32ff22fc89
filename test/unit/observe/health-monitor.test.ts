// The probe loop's timing against a real local TCP port: a container is probed as soon as it is
// seen running (so a server already up is healthy at once), and the quick probes of a starting
// container do not make `retries` failures come sooner than one per interval.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HealthStatus } from '../../../src/core/events.js';
import type { ContainerSpec } from '../../../src/core/spec-schema.js';
import { HealthMonitor, type ProbeTarget } from '../../../src/observe/health.js';

const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((c) => c());
  vi.useRealTimers();
});

async function freePort(listen: boolean): Promise<number> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  if (listen) closers.push(() => server.close());
  else await new Promise((r) => server.close(r));
  return port;
}

function monitor(port: number, intervalMs: number): { reports: { status: HealthStatus; at: number }[]; since: number } {
  const check = { type: 'tcp' as const, port: 80, intervalMs, timeoutMs: 200, retries: 3, startPeriodMs: 0 };
  const spec = { ports: [{ host: port, container: 80, protocol: 'tcp', hostIp: '127.0.0.1' }], network: 'bridge', healthCheck: check } as unknown as ContainerSpec;
  const target: ProbeTarget = { app: 'a', id: 'c1', spec, check, startedAt: Date.now() };
  const reports: { status: HealthStatus; at: number }[] = [];
  let recorded: HealthStatus | undefined = 'starting';
  const since = Date.now();
  const m = new HealthMonitor({
    socketPath: '/nonexistent', clock: Date.now, onError: (err) => { throw err; },
    targets: () => [target], recorded: () => recorded,
    report: async (_t, status) => { recorded = status; reports.push({ status, at: Date.now() - since }); },
  });
  m.sync();
  closers.push(() => m.close());
  return { reports, since };
}

/** Waits in real time (for real I/O), without timers, which a test may have faked. */
async function until(ok: () => boolean, ms: number): Promise<void> {
  for (const end = performance.now() + ms; !ok() && performance.now() < end;) await new Promise((r) => setImmediate(r));
}

describe('the health monitor', () => {
  it('given a server already answering, when its container is seen running, then it is reported healthy by the first probe, before any probe interval passes', async () => {
    // Timers are faked and only moved to 0 ms: a report can only come from the probe made at once.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { reports } = monitor(await freePort(true), 1_000);
    await vi.advanceTimersByTimeAsync(0);
    await until(() => reports.length > 0, 5_000);
    expect(reports.map((r) => r.status)).toEqual(['healthy']);
  });

  it('given nothing answering, when probed quickly while starting, then failures still count once per interval from 250 ms on', async () => {
    const { reports } = monitor(await freePort(false), 400);
    await until(() => reports.length > 0, 10_000);
    // counted at ≥250, ≥650, ≥1050 ms: the third makes it unhealthy (a lower bound: load only delays it)
    expect(reports.map((r) => r.status)).toEqual(['unhealthy']);
    expect(reports[0]!.at).toBeGreaterThanOrEqual(1_050);
  });
});
