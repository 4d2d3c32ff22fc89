// The decider: what to do now, as data, made in one place. The planner says what the node needs; the
// decider takes out what waits on an action in flight (the planner knows nothing of calls in
// progress), gives each action the apps it must not race, and the backoff records a crash-loop wait
// needs. The reconciler only queues, bounds concurrency and writes ahead.
import { EXECUTABLE } from './action-kinds.js';
import type { Action, EventData } from './events.js';
import { canonicalJson } from './hash.js';
import { dependenciesOf } from './manifest/schema.js';
import { plan, type Plan } from './plan.js';
import { desiredApp } from './spec.js';
import type { State } from './state.js';

export interface Decision {
  /** what is recorded and acted on: the plan, less what waits on an action in flight */
  actions: Action[];
  /** apps left out because an action of theirs, or of one of their dependencies, is in flight */
  deferred: string[];
  /** per app of an executable action, its (transitive) dependencies: a dependent never races them */
  dependsOn: Record<string, string[]>;
  /** earliest `wait` deadline: decide again then, even if nothing else happens */
  wakeAt?: number;
  /** crash-loop waits not recorded yet, as `BackoffScheduled` data: `status` shows them, replay keeps them */
  backoff: { app: string; data: EventData<'BackoffScheduled'> }[];
}

/** The planner a decision is taken with: today's, or a changed one under test (replay --check). */
export type Planner = (state: State, now: number) => Pick<Plan, 'actions'> & Partial<Plan>;

export function decide(state: State, now: number, inFlight: ReadonlySet<string>, planner: Planner = plan): Decision {
  const planned = planner(state, now);
  const dependsOn: Record<string, string[]> = {};
  for (const a of planned.actions) if (EXECUTABLE.has(a.kind)) dependsOn[a.app] = [...dependencyClosure(state, a.app)];
  const waits = (a: Action) => waitsOn(a, dependsOn, inFlight);
  const actions = planned.actions.filter((a) => !waits(a));
  return {
    actions,
    deferred: planned.actions.filter(waits).map((a) => a.app).sort(),
    dependsOn,
    ...(planned.wakeAt !== undefined ? { wakeAt: planned.wakeAt } : {}),
    backoff: backoffRecords(state, actions),
  };
}

/** The action's app, or (for an executable action) one of its dependencies, is busy. */
export function waitsOn(a: Action, dependsOn: Readonly<Record<string, readonly string[]>>, busy: ReadonlySet<string>): boolean {
  return busy.has(a.app) || (EXECUTABLE.has(a.kind) && (dependsOn[a.app] ?? []).some((x) => busy.has(x)));
}

/** The (transitive) dependencies of an app, by its desired manifest. */
function dependencyClosure(state: State, app: string, seen = new Set<string>()): Set<string> {
  const m = desiredApp(state, app)?.manifest;
  for (const d of m ? dependenciesOf(m) : []) {
    if (seen.has(d.app)) continue;
    seen.add(d.app);
    dependencyClosure(state, d.app, seen);
  }
  return seen;
}

function backoffRecords(state: State, actions: readonly Action[]): Decision['backoff'] {
  return actions.flatMap((a) => {
    if (a.kind !== 'wait' || a.until === undefined || a.attempt === undefined) return [];
    const known = state.backoff[a.app];
    if (known && known.until === a.until && known.attempt === a.attempt) return [];
    const since = state.containers[a.app]?.statusAt ?? state.failures[a.app]?.at ?? a.until;
    return [{ app: a.app, data: { attempt: a.attempt, until: a.until, delayMs: a.until - since } }];
  });
}

/**
 * Whether a decision tells the log something the last recorded one did not already say. The node
 * works through a recorded plan: its waits fall due and become the restarts they announced, its
 * actions start and leave the plan when done. A decision that says only that is not recorded (a crash
 * loop would otherwise log four plans per exit); any other difference is. `started`: apps whose action
 * under the last recorded plan has been started since it was recorded.
 */
export function isNews(last: State['lastPlan'], actions: readonly Action[], started: ReadonlySet<string>, now: number): boolean {
  const before = new Map((last?.actions ?? []).map((a) => [a.app, a]));
  for (const a of actions) {
    const was = before.get(a.app);
    if (!was || !(canonicalJson(was) === canonicalJson(a) || continuesWait(was, a, now))) return true;
  }
  const kept = new Set(actions.map((a) => a.app));
  return (last?.actions ?? []).some((was) => !kept.has(was.app) && !started.has(was.app));
}

/** `next` is the restart a crash-loop wait announced, now that it has fallen due. */
function continuesWait(wait: Action, next: Action, now: number): boolean {
  return wait.kind === 'wait' && wait.until !== undefined && now >= wait.until
    && (next.kind === 'start' || next.kind === 'restart') && next.attempt === wait.attempt
    && canonicalJson(next.reasons) === canonicalJson(wait.reasons);
}

/** What a rollback of `app` records before it is performed, or why it cannot be. */
export function rollbackRecord(state: State, app: string): { ok: true; data: EventData<'RolledBack'> } | { ok: false; message: string } {
  const config = state.apps[app];
  const current = state.containers[app];
  const good = state.lastGood[app];
  if (!config?.manifestHash || !current?.specHash || !good) return { ok: false, message: `cannot roll back ${app}: no healthy configuration is known` };
  return { ok: true, data: { fromSpecHash: current.specHash, badManifestHash: config.manifestHash, toSpecHash: good.specHash } };
}
