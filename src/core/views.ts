// What `status`, `replay` and `diff` show of a projection, per app: plain data, derived purely from
// state, so a replay prints the same bytes on every run and machine.
import type { Action, ContainerStateName, Difference, ManifestError, Reason } from './events.js';
import { iso } from './render.js';
import { acceptsHash, desiredApp, resolveSpec } from './spec.js';
import type { ContainerSpec } from './spec-schema.js';
import { signalOf } from './signals.js';
import type { ContainerState, State } from './state.js';

/** What the node should run for an app: its spec's hash when it resolves, else why there is none. */
export interface DesiredView {
  state: 'resolved' | 'removed' | 'manifest-rejected' | 'unresolved';
  specHash: string | null;
  image: string | null;
}

/** An action the planner would take now, as data (`render.ts` words it). */
export interface PendingView {
  kind: Action['kind'];
  reasons: Reason[];
  /** a wait: the restart attempt it announces and when it falls due */
  attempt?: number;
  until?: string;
}

export interface AppView {
  app: string;
  desired: DesiredView;
  /** the desired spec itself, when it resolves (secrets as hashes) */
  spec: ContainerSpec | null;
  /** the container's state (null: there is none) and, once exited, its exit code */
  observed: { state: ContainerStateName | null; exitCode: number | null };
  container: string | null;
  health: string | null;
  /** the last few recorded probe outcomes of the current container, oldest first */
  probes: { at: string; ok: boolean; output: string; latencyMs: number }[];
  converged: boolean;
  restarts: number;
  backoff: { attempt: number; until: string } | null;
  rolledBack: { to: string; untilManifestChanges: true } | null;
  drift: Difference[];
  failure: string | null;
  pending: PendingView[];
  /** what ended the container's last run; null when the log records none */
  lastExit: ExitView | null;
  /** why nothing is done for the app now, when the plan holds it back */
  waiting: Waiting | null;
}

export interface ExitView {
  /** the container that exited: the current one, or the one it replaced */
  container: string;
  exitCode: number;
  /** the signal that killed it (exit code − 128), or null when it exited by itself */
  signal: string | null;
  /** null: the log was written before OOM kills were recorded */
  oomKilled: boolean | null;
  at: string;
}

export type Waiting =
  | { reason: 'backoff'; until: string; attempt: number }
  | { reason: 'retry-after-failure'; until: string; failure: string }
  | { reason: 'dependency'; on: { app: string; message: string }[] }
  | { reason: 'manifest-rejected'; errors: ManifestError[] }
  | { reason: 'unresolved'; because: Reason[] };

/** `actions`: what the planner would do now (the caller picks "now": the clock, or a replay's last event). */
export function appViews(state: State, actions: readonly Action[]): AppView[] {
  const ids = [...new Set([...Object.keys(state.apps), ...Object.keys(state.containers)])].sort();
  return ids.map((id) => appView(state, id, actions));
}

export function appView(state: State, id: string, actions: readonly Action[]): AppView {
  const app = state.apps[id];
  const c = state.containers[id];
  const config = desiredApp(state, id);
  const desired = config ? resolveSpec(config, state) : undefined;
  const backoff = state.backoff[id];
  const hasCheck = config?.manifest?.container.health_check !== undefined;
  const pinned = state.pinned[id];
  return {
    app: id,
    desired: {
      state: !app ? 'removed' : app.rejected ? 'manifest-rejected' : desired?.ok ? 'resolved' : 'unresolved',
      specHash: desired?.ok ? desired.hash : null,
      image: desired?.ok ? desired.spec.image : null,
    },
    spec: desired?.ok ? desired.spec : null,
    observed: { state: c?.status ?? null, exitCode: c?.status === 'exited' ? (c.exitCode ?? null) : null },
    container: c?.id ?? null,
    health: hasCheck && c?.status === 'running' ? (c.health?.status ?? 'starting') : null,
    probes: (c?.probes ?? []).map((p) => ({ at: iso(p.at), ok: p.ok, output: p.output, latencyMs: p.latencyMs })),
    converged: Boolean(c && desired?.ok && acceptsHash(c, desired) && c.status === 'running' && !c.drift),
    restarts: state.restarts[id]?.attempt ?? 0,
    backoff: backoff && c?.status !== 'running' ? { attempt: backoff.attempt, until: iso(backoff.until) } : null,
    rolledBack: pinned ? { to: pinned.config.specHash, untilManifestChanges: true } : null,
    drift: c?.drift?.differences ?? [],
    failure: state.failures[id]?.message ?? null,
    pending: actions.filter((a) => a.app === id).map(pendingView),
    lastExit: exitView(c),
    waiting: waitingOf(state, id, actions),
  };
}

/** The last exit recorded for the app's container (kept across restarts), else the exit it is in now. */
export function exitView(c: ContainerState | undefined): ExitView | null {
  if (c?.lastExit) {
    const e = c.lastExit;
    return { container: e.id, exitCode: e.exitCode, signal: signalOf(e.exitCode), oomKilled: e.oomKilled, at: iso(e.at) };
  }
  // a log written before exits were kept: only the current container's exit, OOM unknown
  if (c?.status !== 'exited' || c.exitCode === undefined) return null;
  return { container: c.id, exitCode: c.exitCode, signal: signalOf(c.exitCode), oomKilled: null, at: iso(c.statusAt) };
}

/** Why the plan holds the app back, from its `wait` or `blocked` action (and all the manifest's errors). */
export function waitingOf(state: State, id: string, actions: readonly Action[]): Waiting | null {
  const rejected = state.apps[id]?.rejected;
  if (rejected) return { reason: 'manifest-rejected', errors: rejected.errors };
  const a = actions.find((x) => x.app === id && (x.kind === 'wait' || x.kind === 'blocked'));
  if (!a) return null;
  if (a.kind === 'wait') {
    const failure = a.reasons.find((r) => r.code === 'retry-after-failure');
    const until = iso(a.until ?? 0);
    return failure ? { reason: 'retry-after-failure', until, failure: failure.message ?? '' } : { reason: 'backoff', until, attempt: a.attempt ?? 0 };
  }
  const deps = a.reasons.filter((r) => r.code === 'waiting-on-dependency');
  if (deps.length > 0) return { reason: 'dependency', on: deps.map((r) => ({ app: r.field ?? '', message: r.message ?? '' })) };
  return { reason: 'unresolved', because: a.reasons };
}

function pendingView(a: Action): PendingView {
  return {
    kind: a.kind, reasons: a.reasons,
    ...(a.attempt !== undefined ? { attempt: a.attempt } : {}), ...(a.until !== undefined ? { until: iso(a.until) } : {}),
  };
}
