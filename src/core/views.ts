// What `status`, `replay` and `diff` show of a projection, per app: plain data, derived purely from
// state, so a replay prints the same bytes on every run and machine.
import type { Action, Difference } from './events.js';
import { iso, renderReason } from './render.js';
import { acceptsHash, desiredApp, resolveSpec } from './spec.js';
import type { ContainerSpec } from './spec-schema.js';
import type { State } from './state.js';

export interface AppView {
  app: string;
  desired: 'removed' | 'manifest rejected' | 'unresolved' | string;
  /** the desired spec itself, when it resolves (secrets as hashes) */
  spec: ContainerSpec | null;
  observed: string;
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
  pending: string[];
}

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
    desired: !app ? 'removed' : app.rejected ? 'manifest rejected' : desired?.ok ? desired.hash : 'unresolved',
    spec: desired?.ok ? desired.spec : null,
    observed: c ? `${c.status}${c.exitCode !== undefined ? ` (exit ${c.exitCode})` : ''}` : 'no container',
    container: c?.id ?? null,
    health: hasCheck && c?.status === 'running' ? (c.health?.status ?? 'starting') : null,
    probes: (c?.probes ?? []).map((p) => ({ at: iso(p.at), ok: p.ok, output: p.output, latencyMs: p.latencyMs })),
    converged: Boolean(c && desired?.ok && acceptsHash(c, desired) && c.status === 'running' && !c.drift),
    restarts: state.restarts[id]?.attempt ?? 0,
    backoff: backoff && c?.status !== 'running' ? { attempt: backoff.attempt, until: iso(backoff.until) } : null,
    rolledBack: pinned ? { to: pinned.config.specHash, untilManifestChanges: true } : null,
    drift: c?.drift?.differences ?? [],
    failure: state.failures[id]?.message ?? null,
    pending: actions.filter((a) => a.app === id).map((a) => `${a.kind}: ${a.reasons.map(renderReason).join('; ')}`),
  };
}
