// The daemon's Prometheus metrics (prom-client, a registry of its own). Per-app gauges and the daemon's
// are computed from the projection when scraped (collect callbacks): they cannot drift from what
// `status` shows. The two histograms are fed as things happen: the latency of the daemon's appends
// (durable, group commit included) and the duration of each decision (`decide`).
import type { Registry } from 'prom-client';
import { promClient } from './prom.js';
import { unmet } from '../core/plan.js';
import type { State } from '../core/state.js';

export interface MetricsSources {
  state: () => State;
  /** podman answered the last inventory read */
  podmanReachable: () => boolean;
  /** when the last complete podman inventory read ended (ms), if one has */
  lastResyncAt: () => number | undefined;
  /** the log's last seq */
  seq: () => number;
  clock?: () => number;
}

export interface Metrics {
  readonly registry: Registry;
  observeAppend(seconds: number): void;
  observePlan(seconds: number): void;
}

/** Apps the node knows of: by manifest, or by a container still being removed. */
const appsOf = (s: State): string[] => [...new Set([...Object.keys(s.apps), ...Object.keys(s.containers)])].sort();

/** Running, and healthy as far as it can be shown: by its check's verdict, or running if it has none (as dependents see it). */
export const isHealthy = (s: State, app: string): boolean => s.containers[app]?.status === 'running' && unmet(s, { app, condition: 'healthy', restart: false }) === undefined;

/** How often the event loop's lag is sampled for nodejs_eventloop_lag_* (ms). */
const EVENT_LOOP_SAMPLE_MS = 100;

type PerApp = (s: State, app: string, now: number) => number;

const PER_APP: [name: string, help: string, value: PerApp][] = [
  ['podledger_app_up', '1 when the app\'s container is running', (s, app) => Number(s.containers[app]?.status === 'running')],
  ['podledger_app_healthy', '1 when running and its health check passes (running, for an app without a check)', (s, app) => Number(isHealthy(s, app))],
  ['podledger_app_restarts', 'restarts since the app last ran stably (the crash-loop count)', (s, app) => s.restarts[app]?.attempt ?? 0],
  ['podledger_app_in_backoff', '1 while a crash-loop backoff holds back its next restart', (s, app, now) => Number((s.backoff[app]?.until ?? 0) > now)],
  ['podledger_app_rejected', '1 while its manifest is rejected (the last valid one stays in force)', (s, app) => Number(s.apps[app]?.rejected !== undefined)],
];

export async function createMetrics(src: MetricsSources): Promise<Metrics> {
  const { collectDefaultMetrics, Gauge, Histogram, Registry } = await promClient();
  const registry = new Registry();
  const clock = src.clock ?? Date.now;
  const registers = [registry];
  for (const [name, help, value] of PER_APP) {
    new Gauge({
      name, help, labelNames: ['app'], registers,
      collect() {
        const s = src.state();
        const now = clock();
        this.reset(); // an app gone from the node leaves no stale series
        for (const app of appsOf(s)) this.set({ app }, value(s, app, now));
      },
    });
  }
  const daemonGauge = (name: string, help: string, value: () => number) => new Gauge({ name, help, registers, collect() { this.set(value()); } });
  daemonGauge('podledger_podman_reachable', '1 when podman answered the last inventory read', () => Number(src.podmanReachable()));
  // Before the first read, the age counts from the daemon's start: an alert on a stale read fires
  // just as well for a daemon that never managed one.
  const startedAt = clock();
  daemonGauge('podledger_last_resync_age_seconds', 'seconds since the last complete read of podman\'s containers (before the first, since the daemon started)', () =>
    Math.max(0, clock() - (src.lastResyncAt() ?? startedAt)) / 1000);
  daemonGauge('podledger_log_seq', 'the event log\'s last seq', src.seq);
  const append = new Histogram({
    name: 'podledger_append_duration_seconds', help: 'time from an append to its batch being durable (group commit included)', registers,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const plan = new Histogram({
    name: 'podledger_plan_duration_seconds', help: 'time the reconciler took to decide (plan) from the projection', registers,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  });
  // process_* and nodejs_*: memory, CPU, event loop lag of the daemon itself. The lag is sampled every
  // 100 ms, not prom-client's default 10 ms: that timer woke an idle daemon 100 times a second, about
  // 0.8 % of a core on its own (a bare node with prom-client idle for 10 s, load average 16: 1.06 %
  // at 10 ms, 0.26 % at 100 ms, 0.07 % without default metrics).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return { registry, observeAppend: (s) => append.observe(s), observePlan: (s) => plan.observe(s) };
}
