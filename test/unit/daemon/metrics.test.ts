// /metrics: per-app and daemon gauges computed from the projection when scraped, and the two
// histograms, read back by a Prometheus text-format parser.
import { describe, expect, it } from 'vitest';
import { initialState, type ContainerState, type State } from '../../../src/core/state.js';
import { createMetrics } from '../../../src/daemon/metrics.js';
import { parseMetrics, sampleValue } from '../../support/prometheus.js';
import { manifest, parsed, T0 } from '../core/builders.js';

const container = (app: string, status: ContainerState['status'], extra: Partial<ContainerState> = {}): ContainerState => ({
  id: `c-${app}`, name: `podledger-${app}`, status, statusSeq: 1, statusAt: T0, ...extra,
});
const app = (id: string, m = manifest(id)) => ({ id, path: `apps/${id}/manifest.yml`, templates: {}, manifest: parsed(m) });

/** web: running, healthy by its check; worker: running without a check; crashy: exited, in backoff after 3 restarts; broken: manifest rejected, no container. */
const node: State = {
  ...initialState,
  seq: 42,
  apps: {
    web: app('web', manifest('web', { health_check: { type: 'tcp', port: 80 } })),
    worker: app('worker'),
    crashy: app('crashy'),
    broken: { ...app('broken'), rejected: { seq: 40, errors: [{ file: 'apps/broken/manifest.yml', line: 3, col: 1, path: 'container', message: 'bad' }] } },
  },
  containers: {
    web: container('web', 'running', { health: { status: 'healthy', seq: 9, at: T0 } }),
    worker: container('worker', 'running'),
    crashy: container('crashy', 'exited', { exitCode: 1 }),
  },
  restarts: { crashy: { attempt: 3, seq: 30 } },
  backoff: { crashy: { attempt: 3, until: T0 + 60_000, seq: 31 } },
};

async function scrape(state: State, over: Partial<Parameters<typeof createMetrics>[0]> = {}) {
  const m = await createMetrics({ state: () => state, podmanReachable: () => true, lastResyncAt: () => T0 - 2_500, seq: () => 42, clock: () => T0, ...over });
  return { m, read: async () => parseMetrics(await m.registry.metrics()) };
}

describe('metrics', () => {
  it('given a node with apps up, healthy, crash-looping and rejected, when scraped, then each app has its series with the values status would show', async () => {
    const f = await (await scrape(node)).read();
    const perApp = (name: string) => Object.fromEntries(f.get(name)!.metrics.map((s) => [s.labels!.app, Number(s.value)]));
    expect(perApp('podledger_app_up')).toEqual({ broken: 0, crashy: 0, web: 1, worker: 1 });
    expect(perApp('podledger_app_healthy')).toEqual({ broken: 0, crashy: 0, web: 1, worker: 1 }); // worker: no check, running counts
    expect(perApp('podledger_app_restarts')).toEqual({ broken: 0, crashy: 3, web: 0, worker: 0 });
    expect(perApp('podledger_app_in_backoff')).toEqual({ broken: 0, crashy: 1, web: 0, worker: 0 });
    expect(perApp('podledger_app_rejected')).toEqual({ broken: 1, crashy: 0, web: 0, worker: 0 });
    for (const name of ['podledger_app_up', 'podledger_app_healthy', 'podledger_app_restarts', 'podledger_app_in_backoff', 'podledger_app_rejected']) expect(f.get(name)!.type).toBe('GAUGE');
  });

  it('given a running app whose check says unhealthy, when scraped, then it is up but not healthy', async () => {
    const f = await (await scrape({ ...node, containers: { ...node.containers, web: container('web', 'running', { health: { status: 'unhealthy', seq: 10, at: T0 } }) } })).read();
    expect(sampleValue(f, 'podledger_app_up', { app: 'web' })).toBe(1);
    expect(sampleValue(f, 'podledger_app_healthy', { app: 'web' })).toBe(0);
  });

  it("given the daemon's sources, when scraped, then podman reachability, the resync age (from the start before a first read) and the log seq are there", async () => {
    const f = await (await scrape(node)).read();
    expect(sampleValue(f, 'podledger_podman_reachable')).toBe(1);
    expect(sampleValue(f, 'podledger_last_resync_age_seconds')).toBe(2.5);
    expect(sampleValue(f, 'podledger_log_seq')).toBe(42);
    expect(sampleValue(f, 'process_resident_memory_bytes') ?? sampleValue(f, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    let now = T0;
    const down = (await scrape(node, { podmanReachable: () => false, lastResyncAt: () => undefined, clock: () => now })).m;
    now += 7_000;
    const f7 = parseMetrics(await down.registry.metrics());
    expect(sampleValue(f7, 'podledger_podman_reachable')).toBe(0);
    expect(sampleValue(f7, 'podledger_last_resync_age_seconds')).toBe(7); // no read yet: the age counts from the start
  });

  it('given appends and decisions observed, when scraped, then both histograms count them with their sums', async () => {
    const { m, read } = await scrape(node);
    m.observeAppend(0.004);
    m.observeAppend(0.2);
    m.observePlan(0.0003);
    const f = await read();
    const append = f.get('podledger_append_duration_seconds')!;
    expect(append.type).toBe('HISTOGRAM');
    expect(append.metrics[0]).toMatchObject({ count: '2', buckets: expect.objectContaining({ '0.005': '1', '0.25': '2' }) as unknown });
    expect(Number(append.metrics[0]!.sum)).toBeCloseTo(0.204);
    const plan = f.get('podledger_plan_duration_seconds')!;
    expect(plan.metrics[0]).toMatchObject({ count: '1', buckets: expect.objectContaining({ '0.00025': '0', '0.0005': '1' }) as unknown });
  });

  it('given an app removed from the node, when scraped again, then its series are gone rather than stale', async () => {
    let state = node;
    const m = await createMetrics({ state: () => state, podmanReachable: () => true, lastResyncAt: () => T0, seq: () => 42, clock: () => T0 });
    expect(sampleValue(parseMetrics(await m.registry.metrics()), 'podledger_app_up', { app: 'worker' })).toBe(1);
    const { worker: _a, ...apps } = node.apps;
    const { worker: _c, ...containers } = node.containers;
    state = { ...node, apps, containers };
    const f = parseMetrics(await m.registry.metrics());
    expect(sampleValue(f, 'podledger_app_up', { app: 'worker' })).toBeUndefined();
    expect(sampleValue(f, 'podledger_app_up', { app: 'web' })).toBe(1);
  });
});
