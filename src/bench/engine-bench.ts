// The engine alone (no podman): how long planning a converged 30-app node takes, and how long after
// a container death (once its backoff allows) the reconciler issues the start. The executor here only
// records when it is called: this measures podledger, not podman.
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import type { Action, Draft, Envelope } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { inventoryDrafts, type ObservedContainer } from '../core/observations.js';
import { plan } from '../core/plan.js';
import { resolveSpec } from '../core/spec.js';
import type { State } from '../core/state.js';
import { MemoryLog } from '../cli/memory-log.js';
import { Projection } from '../daemon/projection.js';
import { Reconciler } from '../daemon/reconciler.js';
import type { BenchRow } from './types.js';

const APPS = 30;

/** A node running 30 converged apps (10 of them depending on another), built from events. */
function convergedNode(): State {
  const log = new MemoryLog(fold([]), () => 1_800_000_000_000);
  log.append([{ type: 'HostFactsObserved', source: 'host', data: { facts: { HOST_IP: '10.0.0.5', HOST_MDNS: 'node.local' }, changed: ['HOST_IP', 'HOST_MDNS'] } }]);
  for (let i = 0; i < APPS; i++) {
    const manifest = {
      app: { id: `app${i}`, name: `app${i}`, version: '1' },
      container: { image: `img/app${i}:1`, environment: { N: String(i) }, derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }], ports: [{ host: 20000 + i, container: 80 }] },
      ...(i >= 20 ? { dependencies: [`app${i - 20}`] } : {}),
    };
    log.append([{ type: 'ManifestObserved', source: 'manifests', app: `app${i}`, data: { path: `apps/app${i}/manifest.yml`, hash: `h${i}`, manifest, templates: {} } }]);
  }
  for (let i = 0; i < APPS; i++) {
    const r = resolveSpec(log.state.apps[`app${i}`]!, log.state);
    if (!r.ok) throw new Error(`bench setup: app${i} does not resolve`);
    log.append([{ type: 'ActionSucceeded', source: 'executor', app: `app${i}`, data: { kind: 'create', containerId: `c${i}`, spec: r.spec, specHash: r.hash } }]);
  }
  return log.state;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Resyncs timed: enough that p99 is the 50th slowest, not a handful of outliers. */
const SAMPLES = Number(process.env.BENCH_RESYNC_SAMPLES ?? 10_000);
/** Resyncs run first and not timed: the first few hundred run unoptimised code (JIT), not steady state. */
const WARM_UP = 1_000;

export async function benchEngine(): Promise<BenchRow[]> {
  const state = convergedNode();
  const now = 1_800_000_100_000;

  // Converged node, one resync: the plan is empty (0 mutating podman calls) and quick. Each pass plans
  // from a new state object (as after any appended event), so no memo keyed by the state answers it.
  const observed: ObservedContainer[] = Object.entries(state.containers).map(([app, c]) => ({ app, id: c.id, name: c.name, state: 'running', image: c.image ?? '', ...(c.specHash ? { specHash: c.specHash } : {}) }));
  const fresh = (s: State): State => ({ ...s, seq: s.seq + 1 });
  let current = state;
  const pass = () => {
    current = fresh(current);
    return inventoryDrafts(current, observed).length + plan(current, now).actions.length;
  };
  for (let i = 0; i < WARM_UP; i++) pass();
  const gc = gcPauses();
  const times: number[] = [];
  // CPU time of this process in each pass: on a shared machine a wall-clock outlier is often the
  // process waiting for a core, not work it does (GC runs on its threads, so it counts here).
  const cpu: number[] = [];
  let mutating = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    mutating += pass();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const pauses = await gc.stop();
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const slowest = times.slice(-Math.ceil(SAMPLES / 100)).reduce((a, b) => a + b, 0);

  const latencies = await deathToStart(state);
  const gates: number[] = [];
  for (let round = 0; round < GATE_ROUNDS; round++) gates.push(...(await healthyToStart(gatedNode())));
  gates.sort((a, b) => a - b);
  const resync = `converged ${APPS}-app node, one resync: inventory diff + plan`;
  return [
    { name: `${resync} (p50 of ${SAMPLES}, after ${WARM_UP} warm-up)`, value: round(percentile(times, 50)), unit: 'ms' },
    { name: `${resync} (p99; goal < 2 ms)`, value: round(percentile(times, 99)), unit: 'ms' },
    { name: `${resync} (max)`, value: round(times.at(-1)!), unit: 'ms' },
    { name: `${resync}: CPU time of the pass (p50 / p99 / max)`, value: round(percentile(cpu, 50)), unit: `ms / ${round(percentile(cpu, 99))} ms / ${round(cpu.at(-1)!)} ms` },
    { name: `${resync}: GC pauses while sampling (count; longest; total)`, value: pauses.count, unit: `pauses; ${round(pauses.longest)} ms; ${round(pauses.total)} ms (the slowest 1% of resyncs: ${round(slowest)} ms)` },
    { name: `converged ${APPS}-app node: events appended + podman actions per resync`, value: mutating / SAMPLES, unit: 'per resync' },
    { name: `death observed → start issued, first restart (at once), ${APPS} apps at once (p50)`, value: round(percentile(latencies, 50)), unit: 'ms' },
    { name: `death observed → start issued, first restart (at once), ${APPS} apps at once (p99)`, value: round(percentile(latencies, 99)), unit: 'ms' },
    { name: `dependency recorded healthy → dependent's create issued (p50 / p99 / max of ${gates.length}; goal p99 ≤ 50 ms)`, value: round(percentile(gates, 50)), unit: `ms / ${round(percentile(gates, 99))} ms / ${round(gates.at(-1)!)} ms` },
  ];
}

/** GC pauses from now until stop(): how much of the slow tail is the collector's. */
function gcPauses(): { stop(): Promise<{ count: number; longest: number; total: number }> } {
  const seen = { count: 0, longest: 0, total: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      seen.count += 1;
      seen.total += e.duration;
      seen.longest = Math.max(seen.longest, e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    // entries are delivered some time after the task that saw them (a turn is not enough)
    stop: () => new Promise((resolve) => setTimeout(() => { observer.disconnect(); resolve(seen); }, 50)),
  };
}

/**
 * All 30 containers, each after a stable run, die at once; a first restart is due at once. The figure
 * is how long after its death was appended the reconciler calls the executor: the engine's own
 * latency (planning, recording the plan and the write-ahead record, dispatch at concurrency 4).
 */
async function deathToStart(initial: State): Promise<number[]> {
  const appended = new Subject<readonly Envelope[]>();
  const log = new MemoryLog(initial, Date.now);
  const projection = new Projection(initial, appended);
  const due = new Map<string, number>();
  const append = async (drafts: Draft[]) => {
    const envs = log.append(drafts);
    // a first restart is due the moment its death is in the log
    for (const e of envs) if (e.type === 'ContainerExited' && e.app && !due.has(e.app)) due.set(e.app, Date.now());
    appended.next(envs);
    return envs;
  };
  const latencies: number[] = [];
  const done = new Promise<void>((resolve) => {
    const reconciler = new Reconciler({
      state: () => projection.state, append, clock: Date.now, newId: () => 'run', concurrency: 4,
      onError: (err) => { throw err; }, ready: () => true, turn: (task) => task(),
      execute: async (action: Action) => {
        const deadline = due.get(action.app);
        if (action.kind === 'start' && deadline !== undefined) {
          latencies.push(Date.now() - deadline);
          due.delete(action.app);
          if (due.size === 0) setImmediate(() => void reconciler.stop().then(resolve));
        }
        return { containerId: projection.state.containers[action.app]?.id ?? '' };
      },
    });
    projection.state$.subscribe(() => reconciler.wake());
    void append(Object.entries(initial.containers).map(([app, c]): Draft => ({ type: 'ContainerExited', source: 'podman', app, data: { id: c.id, name: c.name, exitCode: 137 } })));
  });
  await done;
  projection.close();
  return latencies.sort((a, b) => a - b);
}

const GATE_ROUNDS = 20;
const GATES = 5;

/** 5 running apps with a health check, not yet healthy, and for each a dependent waiting on `healthy`. */
function gatedNode(): State {
  const log = new MemoryLog(fold([]), Date.now);
  for (let i = 0; i < GATES; i++) {
    const dep = { app: { id: `d${i}`, name: `d${i}`, version: '1' }, container: { image: 'img/web:1', health_check: { type: 'http', port: 80, interval: '1s' } } };
    const dependent = { app: { id: `e${i}`, name: `e${i}`, version: '1' }, container: { image: 'img/web:1' }, dependencies: [{ app: `d${i}`, condition: 'healthy' }] };
    log.append([
      { type: 'ManifestObserved', source: 'manifests', app: `d${i}`, data: { path: `apps/d${i}/manifest.yml`, hash: `hd${i}`, manifest: dep, templates: {} } },
      { type: 'ManifestObserved', source: 'manifests', app: `e${i}`, data: { path: `apps/e${i}/manifest.yml`, hash: `he${i}`, manifest: dependent, templates: {} } },
    ]);
  }
  for (let i = 0; i < GATES; i++) {
    const r = resolveSpec(log.state.apps[`d${i}`]!, log.state);
    if (!r.ok) throw new Error(`bench setup: d${i} does not resolve`);
    log.append([{ type: 'ActionSucceeded', source: 'executor', app: `d${i}`, data: { kind: 'create', containerId: `cd${i}`, spec: r.spec, specHash: r.hash } }]);
  }
  return log.state;
}

/**
 * A health-gated tier's hand-over in the engine: each dependency's healthy verdict is appended in
 * turn, and the figure is how long after it the reconciler calls the executor for its dependent's
 * create (woken by the verdict, planning, recording the plan and the write-ahead record).
 */
async function healthyToStart(initial: State): Promise<number[]> {
  const appended = new Subject<readonly Envelope[]>();
  const log = new MemoryLog(initial, Date.now);
  const projection = new Projection(initial, appended);
  const append = async (drafts: Draft[]) => {
    const envs = log.append(drafts);
    appended.next(envs);
    return envs;
  };
  const latencies: number[] = [];
  let healthyAt = 0;
  let issued: (() => void) | undefined;
  const reconciler = new Reconciler({
    state: () => projection.state, append, clock: Date.now, newId: () => 'run', concurrency: 8,
    onError: (err) => { throw err; }, ready: () => true, turn: (task) => task(),
    execute: async (action: Action) => {
      if (action.kind === 'create' && action.app.startsWith('e')) {
        latencies.push(performance.now() - healthyAt);
        issued?.();
      }
      // what the executor returns for a create: the container and the spec it was made from
      const r = resolveSpec(projection.state.apps[action.app]!, projection.state);
      return r.ok ? { containerId: `c${action.app}`, spec: r.spec, specHash: r.hash } : { containerId: `c${action.app}` };
    },
  });
  const sub = projection.state$.subscribe(() => reconciler.wake());
  for (let i = 0; i < GATES; i++) {
    await new Promise((r) => setTimeout(r, 5)); // the plan before (the dependents blocked) is settled
    const started = new Promise<void>((resolve) => (issued = resolve));
    healthyAt = performance.now();
    await append([{ type: 'HealthChanged', source: 'health', app: `d${i}`, data: { id: `cd${i}`, status: 'healthy', failingStreak: 0 } }]);
    await started;
  }
  sub.unsubscribe();
  await reconciler.stop();
  projection.close();
  return latencies;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
