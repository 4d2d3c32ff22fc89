// The engine alone (no podman): how long planning a converged 30-app node takes, and how long after
// a container death (once its backoff allows) the reconciler issues the start. The executor here only
// records when it is called: this measures podledger, not podman.
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

export async function benchEngine(): Promise<BenchRow[]> {
  const state = convergedNode();
  const now = 1_800_000_100_000;

  // Converged node, one resync: the plan is empty (0 mutating podman calls) and quick.
  const observed: ObservedContainer[] = Object.entries(state.containers).map(([app, c]) => ({ app, id: c.id, name: c.name, state: 'running', image: c.image ?? '', ...(c.specHash ? { specHash: c.specHash } : {}) }));
  const times: number[] = [];
  let mutating = 0;
  for (let i = 0; i < 500; i++) {
    const t = process.hrtime.bigint();
    const drafts = inventoryDrafts(state, observed);
    const actions = plan(state, now).actions;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    mutating += drafts.length + actions.length;
  }
  times.sort((a, b) => a - b);

  const latencies = await deathToStart(state);
  return [
    { name: `converged ${APPS}-app node, one resync: inventory diff + plan (p50)`, value: round(percentile(times, 50)), unit: 'ms' },
    { name: `converged ${APPS}-app node, one resync: inventory diff + plan (p99)`, value: round(percentile(times, 99)), unit: 'ms' },
    { name: `converged ${APPS}-app node: events appended + podman actions per resync`, value: mutating / 500, unit: 'per resync' },
    { name: `death observed → start issued, first restart (at once), ${APPS} apps at once (p50)`, value: round(percentile(latencies, 50)), unit: 'ms' },
    { name: `death observed → start issued, first restart (at once), ${APPS} apps at once (p99)`, value: round(percentile(latencies, 99)), unit: 'ms' },
  ];
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

const round = (n: number) => Math.round(n * 1000) / 1000;
