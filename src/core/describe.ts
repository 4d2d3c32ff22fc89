// What `status APP` shows of one app, kubectl-describe-like: desired against observed, the container's
// runs, health, dependencies. Plain data, derived purely from state (times as ISO strings), so the
// text and the JSON say the same.
import type { Action, Difference } from './events.js';
import { dependenciesOf } from './manifest/schema.js';
import { unmet } from './plan.js';
import { iso } from './render.js';
import type { State } from './state.js';
import { appView, type AppView, type DesiredView, type ExitView, type PendingView, type Waiting } from './views.js';

export interface AppDetail {
  app: string;
  converged: boolean;
  desired: DesiredView;
  observed: {
    state: string | null;
    /** full ids and hashes: the text shortens them, the JSON never does */
    container: string | null;
    name: string | null;
    specHash: string | null;
    image: string | null;
    /** when `state` began */
    since: string | null;
    startedAt: string | null;
    createdAt: string | null;
    adopted: boolean;
  };
  lastExit: ExitView | null;
  restarts: number;
  backoff: AppView['backoff'];
  waiting: Waiting | null;
  /** null when the app has no health check */
  health: { status: string; since: string | null; detail: string | null; failingStreak: number | null } | null;
  dependencies: { app: string; condition: 'started' | 'healthy'; restartWithIt: boolean; met: boolean; why: string | null }[];
  drift: Difference[];
  rolledBack: AppView['rolledBack'];
  failure: { kind: string; message: string; at: string; attempt: number } | null;
  pending: PendingView[];
  /** the app view's last probes, passed through when the view has them (each {at, ok, output, latencyMs}) */
  probes?: unknown;
}

/** The view's `probes` when it carries them (health probes are added to the view separately). */
function probesOf(v: AppView): { probes?: unknown } {
  const probes = (v as AppView & { probes?: unknown }).probes;
  return probes !== undefined ? { probes } : {};
}

/** Whether the app is known to the log at all: a manifest, a container, or one made elsewhere under its name. */
export function knownApps(state: State): string[] {
  return [...new Set([...Object.keys(state.apps), ...Object.keys(state.containers), ...Object.keys(state.unmanaged)])].sort();
}

/**
 * `failingStreak`: the state keeps the health verdict, not the streak behind it; the caller reads it
 * from the verdict's event (`HealthChanged` at `containers[id].health.seq`) when it has the log.
 */
export function describeApp(state: State, id: string, actions: readonly Action[], failingStreak?: number): AppDetail {
  const v = appView(state, id, actions);
  const c = state.containers[id];
  const app = state.apps[id];
  const failure = state.failures[id];
  const hasCheck = app?.manifest?.container.health_check !== undefined;
  return {
    app: id,
    converged: v.converged,
    desired: v.desired,
    observed: {
      state: c?.status ?? null, container: c?.id ?? null, name: c?.name ?? null, specHash: c?.specHash ?? null, image: c?.image ?? c?.spec?.image ?? null,
      since: c ? iso(c.statusAt) : null, startedAt: c?.startedAt !== undefined ? iso(c.startedAt) : null,
      createdAt: c?.created ? iso(c.created.at) : null, adopted: Boolean(c?.adopted),
    },
    lastExit: v.lastExit,
    restarts: v.restarts,
    backoff: v.backoff,
    waiting: v.waiting,
    health: hasCheck && v.health ? {
      status: v.health,
      since: c?.health ? iso(c.health.at) : null,
      detail: c?.health?.detail ?? null,
      failingStreak: failingStreak ?? null,
    } : null,
    dependencies: app?.manifest ? dependenciesOf(app.manifest).map((d) => {
      const why = unmet(state, d);
      return { app: d.app, condition: d.condition, restartWithIt: d.restart, met: !why, why: why?.message ?? null };
    }) : [],
    drift: v.drift,
    rolledBack: v.rolledBack,
    failure: failure ? { kind: failure.kind, message: failure.message, at: iso(failure.at), attempt: failure.attempt } : null,
    pending: v.pending,
    ...probesOf(v),
  };
}
