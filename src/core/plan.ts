// The planner: projection in, actions with reasons out. Pure and level-triggered: it looks at the
// whole state every time, never at the event that woke it, so replaying a log re-derives each plan.
import { dependencyOrder } from '../manifest/catalog.js';
import { dependenciesOf, type Manifest } from '../manifest/schema.js';
import type { Action, Reason } from './events.js';
import { diffSpecs, resolveSpec } from './spec.js';
import type { ContainerState, State } from './state.js';

export interface PlanOptions {
  /** how long an exited container stays down before it is started again */
  restartDelayMs: number;
  /** how long after a failed action before it is tried again */
  retryDelayMs: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { restartDelayMs: 1_000, retryDelayMs: 5_000 };

export interface Plan {
  actions: Action[];
  /** earliest `wait` deadline: the reconciler runs again then, even if nothing else happens */
  wakeAt?: number;
}

/** Actions the executor performs; `wait` and `blocked` only explain why nothing happens yet. */
export const EXECUTABLE: ReadonlySet<Action['kind']> = new Set(['create', 'start', 'recreate', 'remove']);

export function plan(state: State, now: number, options: PlanOptions = DEFAULT_PLAN_OPTIONS): Plan {
  const manifests = new Map<string, Manifest>();
  for (const [id, app] of Object.entries(state.apps)) if (app.manifest) manifests.set(id, app.manifest);
  const actions: Action[] = [];

  for (const id of dependencyOrder(manifests)) {
    const action = planApp(state, id, now, options);
    if (action) actions.push(action);
  }
  // Apps with a rejected manifest and no valid one yet: say so, touch nothing.
  for (const [id, app] of Object.entries(state.apps).sort(([a], [b]) => a.localeCompare(b))) {
    if (!app.manifest && app.rejected) actions.push(rejected(id, app.rejected));
  }
  // Orphans: our container, no app. Their data stays; only the container goes.
  for (const [id, c] of Object.entries(state.containers).sort(([a], [b]) => a.localeCompare(b))) {
    if (state.apps[id]) continue;
    actions.push({ kind: 'remove', app: id, reasons: [cause({ code: 'app-removed', field: 'container', from: c.name }, state.gone[id])] });
  }
  const waits = actions.filter((a) => a.kind === 'wait' && a.until !== undefined).map((a) => a.until as number);
  return waits.length > 0 ? { actions, wakeAt: Math.min(...waits) } : { actions };
}

function planApp(state: State, id: string, now: number, options: PlanOptions): Action | undefined {
  const app = state.apps[id];
  if (!app?.manifest) return undefined;
  // A broken manifest never takes a running app down: hold it as it is until the file is fixed.
  if (app.rejected) return rejected(id, app.rejected);

  const container = state.containers[id];
  const desired = resolveSpec(app, state);
  if (!desired.ok) return { kind: 'blocked', app: id, reasons: desired.reasons };

  const failure = state.failures[id];
  if (failure && now < failure.at + options.retryDelayMs) {
    return {
      kind: 'wait', app: id, until: failure.at + options.retryDelayMs,
      reasons: [{ code: 'retry-after-failure', field: failure.kind, message: failure.message, causedBy: failure.seq }],
    };
  }

  const converged = container?.specHash === desired.hash;
  if (converged && container.status === 'running') return undefined;

  const waiting = unmetDependencies(state, app.manifest);
  if (waiting.length > 0) return { kind: 'blocked', app: id, reasons: waiting };

  if (!container) {
    return { kind: 'create', app: id, specHash: desired.hash, reasons: [cause({ code: 'container-missing' }, state.gone[id] ?? app.manifestSeq)] };
  }
  if (!converged) {
    return { kind: 'recreate', app: id, specHash: desired.hash, reasons: recreateReasons(container, desired, app.manifestSeq) };
  }
  return restart(id, container, app.manifest, now, options);
}

function restart(id: string, c: ContainerState, m: Manifest, now: number, options: PlanOptions): Action | undefined {
  const policy = m.container.restart;
  const exitedCleanly = c.status === 'exited' && c.exitCode === 0;
  if (c.status === 'exited' && (policy === 'no' || (policy === 'on-failure' && exitedCleanly))) return undefined;
  const reason = cause(
    c.status === 'exited'
      ? { code: 'container-exited', field: 'status', from: 'running', to: c.exitCode !== undefined ? `exited (exit ${c.exitCode})` : 'exited' }
      : { code: 'container-not-running', field: 'status', message: `it is ${c.status}` },
    c.statusSeq,
  );
  const until = c.statusAt + options.restartDelayMs;
  if (c.status === 'exited' && now < until) return { kind: 'wait', app: id, until, reasons: [reason] };
  return { kind: 'start', app: id, reasons: [reason] };
}

function recreateReasons(c: ContainerState, desired: Extract<ReturnType<typeof resolveSpec>, { ok: true }>, manifestSeq = 0): Reason[] {
  if (!c.spec) {
    // Created elsewhere or before our records: only the hashes can be compared.
    return [cause({ code: 'spec-hash-changed', field: 'specHash', from: c.specHash ?? null, to: desired.hash }, manifestSeq)];
  }
  const changes = diffSpecs(c.spec, desired.spec);
  if (changes.length === 0) return [{ code: 'hash-version-changed', field: 'specHash', from: c.specHash ?? null, to: desired.hash }];
  return changes.map((ch) => cause({ code: 'spec-changed', ...ch }, desired.provenance[ch.field] ?? manifestSeq));
}

function unmetDependencies(state: State, m: Manifest): Reason[] {
  return dependenciesOf(m).flatMap((d): Reason[] => {
    const dep = state.containers[d.app];
    if (dep?.status === 'running') return [];
    return [cause({ code: 'waiting-on-dependency', field: d.app, message: `${d.app} is ${dep ? dep.status : 'not created'}` }, dep?.statusSeq)];
  });
}

function rejected(id: string, r: { seq: number; errors: { line: number; col: number; path: string; message: string }[] }): Action {
  const first = r.errors[0];
  return {
    kind: 'blocked', app: id,
    reasons: [cause({ code: 'manifest-rejected', message: first ? `${first.line}:${first.col}: ${first.path}: ${first.message}` : 'invalid' }, r.seq)],
  };
}

function cause(reason: Reason, seq: number | undefined): Reason {
  return seq ? { ...reason, causedBy: seq } : reason;
}
