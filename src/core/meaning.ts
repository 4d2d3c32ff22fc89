// What each event means to the projection: one handler per event type, the one place it is said.
// The fold machinery (immer drafts, copy-on-write chunks) is in ./evolve.ts; these only write
// through its Writer. Pure: time comes from `event.at`.
import type { Draft as Mutable } from 'immer';
import { NEW_CONTAINER } from './action-kinds.js';
import type { Envelope, EnvelopeOf, EventType } from './events.js';
import type { Writer } from './evolve.js';
import { parseManifest } from './manifest-parse.js';
import { desiredApp, resolveUncached } from './spec.js';
import { PROBES_KEPT, type ContainerState, type GoodConfig, type LastExit, type State } from './state.js';

/** What each event means to the projection: the one place it is said, a handler per type. */
export const MEANING: { [T in EventType]: (w: Writer, e: EnvelopeOf<T>) => void } = {
  BootStarted(w, e) {
    const s = w.s;
    s.boot = e.boot;
  },
  BootStopped: () => {},
  ManifestObserved(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    // Interpreted with today's schema: defaults added since the log was written apply on replay.
    // The common plain manifest by hand, the rest by zod (manifest-parse.ts).
    const parsed = parseManifest(e.data.manifest);
    if (!parsed.ok) {
      const current = w.app(app) ?? { id: app, path: e.data.path, templates: {} };
      current.rejected = { seq: e.seq, errors: parsed.issues.map((i) => ({ file: e.data.path, line: 0, col: 0, path: i.path, message: `no longer valid: ${i.message}` })) };
      w.map('apps')[app] = current;
      return;
    }
    w.map('apps')[app] = {
      id: app,
      path: e.data.path,
      manifest: parsed.manifest,
      manifestHash: e.data.hash,
      manifestSeq: e.seq,
      templates: e.data.templates,
      ...(e.data.buildContextHash ? { buildContextHash: e.data.buildContextHash } : {}),
    };
    w.del('gone', app);
    if (s.pinned[app] && s.pinned[app].badManifestHash !== e.data.hash) w.del('pinned', app);
  },
  ManifestRejected(w, e) {
    const app = e.app;
    if (!app) return;
    const current = w.app(app) ?? { id: app, path: e.data.path, templates: {} };
    current.rejected = { seq: e.seq, errors: e.data.errors };
    w.map('apps')[app] = current;
  },
  ManifestRemoved(w, e) {
    const app = e.app;
    if (!app) return;
    w.del('apps', app);
    w.map('gone')[app] = e.seq;
  },
  HostFactsObserved(w, e) {
    for (const name of e.data.changed) {
      const value = e.data.facts[name];
      if (value === undefined) w.del('facts', name);
      else w.map('facts')[name] = { value, seq: e.seq };
    }
  },
  SecretObserved(w, e) {
    w.map('secrets')[e.data.name] = { hash: e.data.hash, seq: e.seq };
  },
  SecretRemoved(w, e) {
    w.del('secrets', e.data.name);
  },
  ContainerObserved(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    const prev = s.containers[app];
    const same = prev?.id === e.data.id;
    const next: ContainerState = {
      id: e.data.id,
      name: e.data.name,
      status: e.data.state,
      image: e.data.image,
      statusSeq: same && prev.status === e.data.state ? prev.statusSeq : e.seq,
      statusAt: same && prev.status === e.data.state ? prev.statusAt : e.at,
      ...(e.data.exitCode !== undefined ? { exitCode: e.data.exitCode } : {}),
      ...(e.data.specHash ? { specHash: e.data.specHash } : {}),
      ...(e.data.hashVersion !== undefined ? { hashVersion: e.data.hashVersion } : {}),
      ...(same && prev.spec && prev.specHash === e.data.specHash ? { spec: prev.spec } : {}),
      ...(e.data.oomKilled !== undefined ? { oomKilled: e.data.oomKilled } : {}),
    };
    const lastExit = observedExit(e, same ? prev : undefined) ?? prev?.lastExit;
    if (lastExit) next.lastExit = lastExit;
    w.map('containers')[app] = next;
  },
  ContainerStarted(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    const c = s.containers[app]?.id === e.data.id ? w.container(app) : undefined;
    if (c) {
      c.status = 'running';
      delete c.exitCode;
      delete c.oomKilled;
    } else {
      const lastExit = s.containers[app]?.lastExit;
      w.map('containers')[app] = {
        id: e.data.id, name: e.data.name, status: 'running', statusSeq: e.seq, statusAt: e.at,
        ...(e.data.specHash ? { specHash: e.data.specHash } : {}),
        ...(lastExit ? { lastExit } : {}),
      };
    }
    const started_ = w.container(app);
    setStatus(started_, e);
    started(started_, e.at);
  },
  ContainerExited(w, e) {
    const hit = current(w.s, e.app, e.data.id); // not a container we already replaced
    if (!hit || hit.seen.status === 'exited') return; // the same exit, seen by both the event stream and a resync
    const { app } = hit;
    const c = w.container(app)!;
    c.status = 'exited';
    c.exitCode = e.data.exitCode;
    if (e.data.oomKilled !== undefined) {
      c.oomKilled = e.data.oomKilled;
      c.lastExit = { id: e.data.id, exitCode: e.data.exitCode, oomKilled: e.data.oomKilled, seq: e.seq, at: e.at };
    }
    setStatus(c, e);
    delete c.health;
    // A run that lasted is not part of a crash loop: the backoff starts over.
    if (c.startedAt !== undefined && e.at - c.startedAt >= STABLE_RUN_MS) w.del('restarts', app);
  },
  ContainerRemoved(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    if (s.unmanaged[app]?.id === e.data.id) w.del('unmanaged', app);
    if (s.containers[app]?.id !== e.data.id) return;
    w.del('containers', app);
    w.map('gone')[app] = e.seq;
  },
  HealthChanged(w, e) {
    const s = w.s;
    const hit = current(s, e.app, e.data.id);
    if (!hit) return;
    const { app } = hit;
    const c = w.container(app)!;
    c.health = { status: e.data.status, seq: e.seq, at: e.at, ...(e.data.detail ? { detail: e.data.detail } : {}) };
    if (e.data.status !== 'healthy') return;
    c.everHealthy = true;
    // Remember what a healthy container ran, to roll back to it if a later update fails.
    const config = goodConfig(s as State, app, c.specHash, e.seq);
    if (config) w.map('lastGood')[app] = config;
  },
  ProbeOutcomeChanged(w, e) {
    const hit = current(w.s, e.app, e.data.id);
    if (!hit) return;
    const c = w.container(hit.app)!;
    const seen = { seq: e.seq, at: e.at, ok: e.data.ok, output: e.data.output, latencyMs: e.data.latencyMs };
    c.probes = [...(c.probes ?? []).slice(1 - PROBES_KEPT), seen];
  },
  DriftDetected(w, e) {
    const hit = current(w.s, e.app, e.data.id);
    if (!hit) return;
    const c = w.container(hit.app)!;
    if (e.data.differences.length === 0) delete c.drift;
    else c.drift = { seq: e.seq, differences: e.data.differences };
  },
  UnmanagedContainerObserved(w, e) {
    const app = e.app;
    if (!app) return;
    w.map('unmanaged')[app] = { id: e.data.id, name: e.data.name, image: e.data.image, seq: e.seq, differences: e.data.differences };
  },
  BackoffScheduled(w, e) {
    const app = e.app;
    if (!app) return;
    w.map('backoff')[app] = { attempt: e.data.attempt, until: e.data.until, seq: e.seq };
  },
  RolledBack(w, e) {
    const s = w.s;
    const app = e.app;
    const config = app ? s.lastGood[app] : undefined;
    if (!app || !config) return;
    w.map('pinned')[app] = { config, badManifestHash: e.data.badManifestHash, seq: e.seq };
  },
  ImageProgress: () => {},
  SecurityWarning: () => {},
  PlanDecided(w, e) {
    const s = w.s;
    const { inFlight, deferred } = e.data;
    s.lastPlan = { seq: e.seq, actions: e.data.actions, ...(inFlight ? { inFlight } : {}), ...(deferred ? { deferred } : {}) };
  },
  ActionStarted: () => {},
  ActionSucceeded(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    w.del('failures', app);
    const kind = e.data.kind;
    if (kind === 'remove') {
      w.del('containers', app);
      return;
    }
    if (NEW_CONTAINER.has(kind) && e.data.containerId && e.data.spec) {
      const lastExit = s.containers[app]?.lastExit; // the previous container's: what ended its run
      w.map('containers')[app] = {
        id: e.data.containerId,
        name: e.data.spec.name,
        status: 'running',
        image: e.data.spec.image,
        spec: e.data.spec,
        statusSeq: e.seq,
        statusAt: e.at,
        startedAt: e.data.startedAt ?? e.at,
        created: { seq: e.seq, at: e.at },
        health: { status: 'starting', seq: e.seq, at: e.at },
        ...(e.data.specHash ? { specHash: e.data.specHash } : {}),
        ...(kind === 'adopt' ? { adopted: true } : {}),
        ...(lastExit ? { lastExit } : {}),
      };
      w.del('gone', app);
      w.del('unmanaged', app);
      // A new spec is a new start: earlier crashes do not count against it.
      if (kind !== 'adopt') { w.del('restarts', app); w.del('backoff', app); }
      return;
    }
    const seen = s.containers[app];
    if ((kind === 'start' || kind === 'restart') && seen && (!e.data.containerId || seen.id === e.data.containerId)) {
      const c = w.container(app)!;
      c.status = 'running';
      delete c.exitCode;
      delete c.oomKilled;
      setStatus(c, e);
      started(c, e.data.startedAt ?? e.at);
      if (e.data.attempt !== undefined) w.map('restarts')[app] = { attempt: e.data.attempt + 1, seq: e.seq };
    }
  },
  ActionFailed(w, e) {
    const s = w.s;
    const app = e.app;
    if (!app) return;
    w.map('failures')[app] = { seq: e.seq, at: e.at, kind: e.data.kind, message: e.data.error.message, attempt: (s.failures[app]?.attempt ?? 0) + 1 };
  },
};


/** How long a container must run to count as stable: its crash-loop backoff then starts over. */
export const STABLE_RUN_MS = 10 * 60_000;

function started(c: Mutable<ContainerState> | undefined, at: number): void {
  if (!c) return;
  c.startedAt = at;
  c.health = { status: 'starting', seq: c.statusSeq, at };
}

/** The configuration the app's healthy container was made from, if the projection still holds it. */
function goodConfig(s: State, app: string, specHash: string | undefined, seq: number): GoodConfig | undefined {
  const config = desiredApp(s, app);
  if (!config?.manifest || !specHash) return undefined;
  // not the memo: within a chunk the draft's facts, secrets and apps change in place (see resolveUncached)
  const r = resolveUncached(config, s);
  if (!r.ok || r.hash !== specHash) return undefined;
  return {
    specHash, manifest: config.manifest, templates: config.templates, seq,
    ...(config.manifestHash ? { manifestHash: config.manifestHash } : {}),
    ...(config.buildContextHash ? { buildContextHash: config.buildContextHash } : {}),
  };
}

function setStatus(c: Mutable<ContainerState> | undefined, e: Envelope): void {
  if (!c) return;
  c.statusSeq = e.seq;
  c.statusAt = e.at;
}

/**
 * The exit a ContainerObserved reports, when it records one (an exited container, from a podman new
 * enough to tell OOM kills): a resync that sees the exit the event stream already recorded keeps its
 * seq and time, and corrects only what it adds (an OOM kill the stream missed).
 */
function observedExit(e: EnvelopeOf<'ContainerObserved'>, prev: ContainerState | undefined): LastExit | undefined {
  const { state, exitCode, oomKilled, id } = e.data;
  if (state !== 'exited' || exitCode === undefined || oomKilled === undefined) return undefined;
  const known = prev?.status === 'exited' && prev.lastExit?.id === id && prev.lastExit.exitCode === exitCode ? prev.lastExit : undefined;
  return { id, exitCode, oomKilled, seq: known?.seq ?? e.seq, at: known?.at ?? e.at };
}

/** The app's container, when it is the one an event is about (not one already replaced). */
function current(s: Mutable<State>, app: string | undefined, id: string): { app: string; seen: Mutable<ContainerState> } | undefined {
  const seen = app ? s.containers[app] : undefined;
  return app && seen && seen.id === id ? { app, seen } : undefined;
}
