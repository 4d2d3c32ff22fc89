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
  const check = { type: 'tcp' as const, port, intervalMs, timeoutMs: 200, retries: 3, startPeriodMs: 0 };
  const spec = { ports: [], network: 'podledger', healthCheck: check } as unknown as ContainerSpec;
  const target: ProbeTarget = { app: 'a', id: 'c1', spec, check, startedAt: Date.now() };
  const reports: { status: HealthStatus; at: number }[] = [];
  let recorded: HealthStatus | undefined = 'starting';
  const since = Date.now();
  const m = new HealthMonitor({
    socketPath: '/nonexistent', clock: Date.now, onError: (err) => { throw err; },
    targets: () => [target], recorded: () => recorded, recordedProbe: () => undefined,
    address: async () => ({ ok: true, host: '127.0.0.1' }),
    report: async (_t, r) => {
      if (!r.health) return;
      recorded = r.health.status;
      reports.push({ status: r.health.status, at: Date.now() - since });
    },
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

/** A TCP server on `host` counting the connections it accepts. */
async function counting(host: string): Promise<{ port: number; count: () => number }> {
  let n = 0;
  const server = net.createServer((s) => { n += 1; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, host, r));
  closers.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, count: () => n };
}

describe('the health monitor, reaching containers', () => {
  it('given a container recreated with a new id and address, when the targets change, then its address is read anew and the old address is never probed again', async () => {
    const old = await counting('127.0.0.2');
    const fresh = await counting('127.0.0.3');
    const check = (port: number) => ({ type: 'tcp' as const, port, intervalMs: 50, timeoutMs: 200, retries: 3, startPeriodMs: 0 });
    const spec = { ports: [], network: 'podledger' } as unknown as ContainerSpec;
    let targets: ProbeTarget[] = [{ app: 'a', id: 'c1', spec, check: check(old.port), startedAt: 1 }];
    const addresses: Record<string, string> = { c1: '127.0.0.2', c2: '127.0.0.3' };
    const read: string[] = [];
    const outputs: { id: string; output: string }[] = [];
    const m = new HealthMonitor({
      socketPath: '/nonexistent', clock: Date.now, onError: (err) => { throw err; },
      targets: () => targets, recorded: () => 'healthy', recordedProbe: () => undefined,
      address: async (t) => { read.push(t.id); return { ok: true, host: addresses[t.id]! }; },
      report: async (t, r) => { if (r.probe) outputs.push({ id: t.id, output: r.probe.output }); },
    });
    closers.push(() => m.close());
    m.sync();
    await until(() => old.count() >= 2, 5_000);

    targets = [{ app: 'a', id: 'c2', spec, check: check(fresh.port), startedAt: 2 }];
    m.sync();
    const oldCount = old.count();
    await until(() => fresh.count() >= 3, 5_000);
    expect(fresh.count()).toBeGreaterThanOrEqual(3);
    expect(old.count()).toBe(oldCount);
    // each container's address read once for its run, not at every probe
    expect(read).toEqual(['c1', 'c2']);
    expect(outputs.filter((o) => o.id === 'c2').every((o) => o.output === `127.0.0.3:${fresh.port}: connected`)).toBe(true);
  });

  it('given probes that see the same thing, when the outcome changes, then only the changes are reported, with the address and error', async () => {
    // A FIN, not a reset. Closing the listener still resets a connection the kernel queued but the
    // server never accepted, so a probe racing the close may honestly see ECONNRESET once in between.
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    // a loaded machine must not turn a slow connect into a third, "timed out" outcome: the timeout is far off
    const check = { type: 'tcp' as const, port, intervalMs: 30, timeoutMs: 5_000, retries: 100, startPeriodMs: 0 };
    const target: ProbeTarget = { app: 'a', id: 'c1', spec: { network: 'podledger' } as unknown as ContainerSpec, check, startedAt: 1 };
    let last: { ok: boolean; output: string } | undefined;
    const recorded: { ok: boolean; output: string; latencyMs: number }[] = [];
    let probes = 0;
    const m = new HealthMonitor({
      socketPath: '/nonexistent', clock: Date.now, onError: (err) => { throw err; },
      targets: () => [target], recorded: () => 'healthy', recordedProbe: () => last,
      address: async () => { probes += 1; return { ok: true, host: '127.0.0.1' }; },
      report: async (_t, r) => { if (r.probe) { last = r.probe; recorded.push(r.probe); } },
    });
    closers.push(() => m.close());
    m.sync();
    await until(() => recorded.length > 0, 5_000);
    await new Promise((r) => setTimeout(r, 200)); // several more probes, all the same
    await new Promise((r) => server.close(r));
    await until(() => recorded.length > 1, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const outcomes = recorded.map((p) => [p.ok, p.output]);
    const raced = outcomes.length === 3 ? [[false, `127.0.0.1:${port}: ECONNRESET`]] : [];
    expect(outcomes).toEqual([[true, `127.0.0.1:${port}: connected`], ...raced, [false, `127.0.0.1:${port}: ECONNREFUSED`]]);
    expect(recorded.every((p) => Number.isInteger(p.latencyMs) && p.latencyMs >= 0)).toBe(true);
    expect(probes).toBe(1);
  });

  it('given an address podman cannot give, when probed, then the probe fails saying why and the address is read again next time', async () => {
    const check = { type: 'http' as const, port: 80, intervalMs: 20, timeoutMs: 200, retries: 100, startPeriodMs: 0 };
    const target: ProbeTarget = { app: 'a', id: 'c1', spec: { network: 'podledger' } as unknown as ContainerSpec, check, startedAt: 1 };
    const outputs: string[] = [];
    let reads = 0;
    const m = new HealthMonitor({
      socketPath: '/nonexistent', clock: Date.now, onError: (err) => { throw err; },
      targets: () => [target], recorded: () => 'starting', recordedProbe: () => undefined,
      address: async () => { reads += 1; throw new Error('no such container'); },
      report: async (_t, r) => { if (r.probe) outputs.push(r.probe.output); },
    });
    closers.push(() => m.close());
    m.sync();
    await until(() => reads >= 3, 5_000);
    expect(outputs[0]).toBe('no address: podman inspect failed: no such container');
  });
});
