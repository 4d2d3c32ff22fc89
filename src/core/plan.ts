// The planner: projection in, actions with reasons out. Pure and level-triggered: it looks at the
// whole state every time, never at the event that woke it, so replaying a log re-derives each plan.
import { dependencyOrder } from './manifest/dependencies.js';
import { dependenciesOf, type Dependency, type Manifest } from './manifest/schema.js';
import { backoffDelay } from './backoff.js';
import type { Action, Reason } from './events.js';
import { iso } from './render.js';
import { acceptsHash, desiredApp, diffSpecs, resolveSpec, type Resolution } from './spec.js';
import type { ContainerState, State } from './state.js';

export interface Plan {
  actions: Action[];
  /** earliest `wait` deadline: the reconciler runs again then, even if nothing else happens */
  wakeAt?: number;
}

/** Actions the executor performs; `wait` and `blocked` only explain why nothing happens yet. */
export { EXECUTABLE } from './action-kinds.js';

type Desired = Extract<Resolution, { ok: true }>;

export function plan(state: State, now: number): Plan {
  const actions: Action[] = [];
  let wakeAt: number | undefined;
  for (const id of appOrder(state.apps)) {
    const found = planApp(state, id, now);
    if (!found) continue;
    const action = inSchemaOrder(found);
    actions.push(action);
    if (action.kind === 'wait' && action.until !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, action.until);
  }
  // Apps with a rejected manifest and no valid one yet: say so, touch nothing.
  for (const id of sortedKeys(state.apps, (app) => !app.manifest && Boolean(app.rejected))) actions.push(inSchemaOrder(rejected(id, state.apps[id]!.rejected!)));
  // Orphans: our container, no app. Their data stays; only the container goes.
  for (const id of sortedKeys(state.containers, (_, id) => !state.apps[id])) {
    actions.push(inSchemaOrder({ kind: 'remove', app: id, reasons: [cause({ code: 'app-removed', field: 'container', from: state.containers[id]!.name }, state.gone[id])] }));
  }
  return wakeAt !== undefined ? { actions, wakeAt } : { actions };
}

/**
 * The action with its keys (and its reasons') in the event schema's order, which is how the log
 * stores it: a plan's record and its actions' ActionStarted are then vouched for by the exact checks
 * (core/events.ts checkDraft), not zod, whose event schemas would otherwise be built at the first
 * decision, on the way to the daemon's first create. Only key order: every comparison of actions is
 * by canonical JSON.
 */
function inSchemaOrder(a: Action): Action {
  const o: Action = { kind: a.kind, app: a.app, reasons: a.reasons.map(reasonInOrder) };
  if (a.specHash !== undefined) o.specHash = a.specHash;
  if (a.until !== undefined) o.until = a.until;
  if (a.attempt !== undefined) o.attempt = a.attempt;
  return o;
}

function reasonInOrder(r: Reason): Reason {
  const o: Reason = { code: r.code };
  if (r.field !== undefined) o.field = r.field;
  if ('from' in r) o.from = r.from;
  if ('to' in r) o.to = r.to;
  if (r.causedBy !== undefined) o.causedBy = r.causedBy;
  if (r.message !== undefined) o.message = r.message;
  return o;
}

/**
 * The order apps are planned in, by `state.apps`: the fold shares that object between states until an
 * app changes, so a converged node orders its apps once, not at every plan (and allocates nothing for
 * it: a resync's garbage is what makes its slow tail). Pure memoisation, as `resolveSpec`'s.
 */
const orders = new WeakMap<State['apps'], readonly string[]>();

function appOrder(apps: State['apps']): readonly string[] {
  let order = orders.get(apps);
  if (!order) {
    const manifests = new Map<string, Manifest>();
    for (const [id, app] of Object.entries(apps)) if (app.manifest) manifests.set(id, app.manifest);
    order = dependencyOrder(manifests);
    orders.set(apps, order);
  }
  return order;
}

function planApp(state: State, id: string, now: number): Action | undefined {
  const app = state.apps[id];
  if (!app?.manifest) return undefined;
  // A broken manifest never takes a running app down: hold it as it is until the file is fixed.
  if (app.rejected) return rejected(id, app.rejected);

  const config = desiredApp(state, id)!;
  const m = config.manifest!;
  const desired = resolveSpec(config, state);
  if (!desired.ok) return { kind: 'blocked', app: id, reasons: desired.reasons };

  const failure = state.failures[id];
  if (failure) {
    const until = failure.at + backoffDelay(id, failure.attempt - 1, failure.seq);
    if (now < until) {
      return {
        kind: 'wait', app: id, until, attempt: failure.attempt - 1,
        reasons: [{ code: 'retry-after-failure', field: failure.kind, message: failure.message, causedBy: failure.seq }],
      };
    }
  }

  const c = state.containers[id];
  const pinned = state.pinned[id];
  const health = m.container.health_check ? c?.health : undefined;
  if (c && health?.status === 'unhealthy' && !c.everHealthy && !pinned) {
    const good = state.lastGood[id];
    if (good && good.specHash !== c.specHash && app.manifestHash) {
      return {
        kind: 'rollback', app: id, specHash: good.specHash,
        reasons: [cause({ code: 'update-unhealthy', field: 'health', from: 'starting', to: 'unhealthy', ...(health.detail ? { message: health.detail } : {}) }, health.seq)],
      };
    }
  }

  const converged = c !== undefined && acceptsHash(c, desired);
  if (c && converged && c.status === 'running') {
    if (c.drift) return { kind: 'recreate', app: id, specHash: desired.hash, reasons: c.drift.differences.map((d) => cause({ code: 'drift', field: d.field, from: d.actual, to: d.expected }, c.drift?.seq)) };
    if (health?.status === 'unhealthy' && m.container.restart !== 'no') return crashRestart(state, id, c, 'restart', cause({ code: 'unhealthy', field: 'health', from: 'healthy', to: 'unhealthy', ...(health.detail ? { message: health.detail } : {}) }, health.seq), health.at, now);
    const replaced = replacedDependencies(state, m, c);
    if (replaced.length > 0 && unmetDependencies(state, m).length === 0) return { kind: 'restart', app: id, reasons: replaced };
    return undefined;
  }

  const unmanaged = state.unmanaged[id];
  if (!c && unmanaged && unmanaged.differences.length === 0) {
    return { kind: 'adopt', app: id, specHash: desired.hash, reasons: [cause({ code: 'unmanaged-match', field: 'container', message: `${unmanaged.name} was made elsewhere and matches the desired spec` }, unmanaged.seq)] };
  }

  const waiting = unmetDependencies(state, m);
  if (waiting.length > 0) return { kind: 'blocked', app: id, reasons: waiting };

  if (!c && unmanaged) {
    return {
      kind: 'recreate', app: id, specHash: desired.hash,
      reasons: unmanaged.differences.map((d) => cause({ code: 'unmanaged-conflict', field: d.field, from: d.actual, to: d.expected }, unmanaged.seq)),
    };
  }
  if (!c) return { kind: 'create', app: id, specHash: desired.hash, reasons: [cause({ code: 'container-missing' }, state.gone[id] ?? app.manifestSeq)] };
  if (!converged) return { kind: 'recreate', app: id, specHash: desired.hash, reasons: recreateReasons(c, desired, pinned ? pinned.seq : app.manifestSeq) };

  const policy = m.container.restart;
  if (c.status === 'exited' && (policy === 'no' || (policy === 'on-failure' && c.exitCode === 0))) return undefined;
  const reason = cause(
    c.status === 'exited'
      ? { code: 'container-exited', field: 'status', from: 'running', to: c.exitCode !== undefined ? `exited (exit ${c.exitCode})` : 'exited' }
      : { code: 'container-not-running', field: 'status', message: `it is ${c.status}` },
    c.statusSeq,
  );
  if (c.status !== 'exited') return { kind: 'start', app: id, reasons: [reason] };
  return crashRestart(state, id, c, 'start', reason, c.statusAt, now);
}

/**
 * Start again after an exit or an unhealthy verdict. The first restart after a stable run is at once,
 * as kubelet and podman's own restart policy do: one crash in days is not a loop. From the next one
 * on, the crash-loop backoff (1 s, doubling, capped) holds it back.
 */
function crashRestart(state: State, id: string, c: ContainerState, kind: 'start' | 'restart', reason: Reason, since: number, now: number): Action {
  const attempt = state.restarts[id]?.attempt ?? 0;
  if (attempt === 0) return { kind, app: id, attempt, reasons: [reason] };
  const until = since + backoffDelay(id, attempt - 1, c.statusSeq);
  if (now < until) return { kind: 'wait', app: id, until, attempt, reasons: [reason] };
  return { kind, app: id, attempt, reasons: [reason] };
}

function recreateReasons(c: ContainerState, desired: Desired, baseSeq = 0): Reason[] {
  if (!c.spec) {
    // Created elsewhere or before our records: only the hashes can be compared.
    return [cause({ code: 'spec-hash-changed', field: 'specHash', from: c.specHash ?? null, to: desired.hash }, baseSeq)];
  }
  const changes = diffSpecs(c.spec, desired.spec);
  if (changes.length === 0) return [{ code: 'hash-version-changed', field: 'specHash', from: c.specHash ?? null, to: desired.hash }];
  return changes.map((ch) => cause({ code: 'spec-changed', ...ch }, desired.provenance[ch.field] ?? baseSeq));
}

/** Dependencies marked `restart: true` that got a new container after this one last started. */
function replacedDependencies(state: State, m: Manifest, c: ContainerState): Reason[] {
  if (m.dependencies.length === 0) return NONE;
  return dependenciesOf(m).flatMap((d): Reason[] => {
    const dep = state.containers[d.app];
    if (!d.restart || !dep?.created || c.startedAt === undefined || dep.created.at <= c.startedAt) return [];
    return [cause({ code: 'dependency-replaced', field: d.app, message: `${d.app} has a new container` }, dep.created.seq)];
  });
}

/** No reasons: shared, never added to (the caller only looks at its length). */
const NONE: Reason[] = [];

function unmetDependencies(state: State, m: Manifest): Reason[] {
  return dependenciesOf(m).flatMap((d): Reason[] => {
    const why = unmet(state, d);
    return why ? [cause({ code: 'waiting-on-dependency', field: d.app, message: why.message }, why.seq)] : [];
  });
}

/** Why a dependency does not yet allow its dependents to start, or nothing when it does. */
export function unmet(state: State, d: Dependency): { message: string; seq?: number } | undefined {
  const dep = state.containers[d.app];
  if (!dep) return { message: `${d.app} is not created` };
  if (dep.status !== 'running') return { message: `${d.app} is ${dep.status} since ${iso(dep.statusAt)}`, seq: dep.statusSeq };
  if (d.condition !== 'healthy') return undefined;
  const hasCheck = state.apps[d.app]?.manifest?.container.health_check !== undefined;
  if (!hasCheck) return undefined; // nothing to wait for: running is as healthy as it can be shown to be
  if (dep.health?.status === 'healthy') return undefined;
  const h = dep.health;
  return { message: `${d.app} is not healthy${h ? ` (${h.status}) since ${iso(h.at)}` : ''}`, ...(h ? { seq: h.seq } : {}) };
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

/** The keys of `record` whose entry passes `keep`, sorted; no copy of the whole record (usually none pass). */
function sortedKeys<T>(record: Record<string, T>, keep: (value: T, id: string) => boolean): string[] {
  const ids: string[] = [];
  for (const id in record) if (keep(record[id]!, id)) ids.push(id);
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
