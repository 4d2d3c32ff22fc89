// The fold: `evolve(state, event)`. The one definition of what an event means, used by the live
// daemon and by offline replay alike. Pure: no I/O, no clock; time comes from `event.at`.
import { produce, type Draft as Mutable } from 'immer';
import type { Envelope } from './events.js';
import { ManifestSchema } from '../manifest/schema.js';
import { hashOf } from './hash.js';
import { desiredApp, resolveUncached } from './spec.js';
import { initialState, type ContainerState, type GoodConfig, type State } from './state.js';

export function evolve(state: State, event: Envelope): State {
  return produce(state, (s) => {
    apply(s, event);
    s.seq = event.seq;
  });
}

/**
 * Fold a chunk of events in one `produce`: the same state as `evolve` one event at a time (same
 * mutations on one draft, in the same order), without a copy and a deep freeze of the state per event.
 * For offline folds of many events; events at or below `state.seq` are the caller's to leave out.
 */
export function foldChunk(state: State, events: readonly Envelope[]): State {
  if (events.length === 0) return state;
  if (events.length === 1) return evolve(state, events[0]!);
  return produce(state, (s) => {
    for (const e of events) {
      apply(s, e);
      s.seq = e.seq;
    }
  });
}

/** How many events `fold` (and the offline readers) fold per `produce`. */
export const FOLD_CHUNK = 1000;

export function fold(events: Iterable<Envelope>, from: State = initialState): State {
  let state = from;
  let chunk: Envelope[] = [];
  for (const e of events) {
    chunk.push(e);
    if (chunk.length >= FOLD_CHUNK) {
      state = foldChunk(state, chunk);
      chunk = [];
    }
  }
  return foldChunk(state, chunk);
}

/** A stable fingerprint of a projection: equal logs give equal hashes on every machine. */
export function stateHash(state: State): string {
  return hashOf(state);
}

function apply(s: Mutable<State>, e: Envelope): void {
  const app = e.app;
  switch (e.type) {
    case 'BootStarted':
      s.boot = e.boot;
      return;
    case 'BootStopped':
      return;
    case 'ManifestObserved': {
      if (!app) return;
      // Interpreted with today's schema: defaults added since the log was written apply on replay.
      const parsed = ManifestSchema.safeParse(e.data.manifest);
      if (!parsed.success) {
        const current = s.apps[app] ?? { id: app, path: e.data.path, templates: {} };
        current.rejected = { seq: e.seq, errors: parsed.error.issues.map((i) => ({ file: e.data.path, line: 0, col: 0, path: i.path.join('.'), message: `no longer valid: ${i.message}` })) };
        s.apps[app] = current;
        return;
      }
      s.apps[app] = {
        id: app,
        path: e.data.path,
        manifest: parsed.data,
        manifestHash: e.data.hash,
        manifestSeq: e.seq,
        templates: e.data.templates,
        ...(e.data.buildContextHash ? { buildContextHash: e.data.buildContextHash } : {}),
      };
      delete s.gone[app];
      if (s.pinned[app] && s.pinned[app].badManifestHash !== e.data.hash) delete s.pinned[app];
      return;
    }
    case 'ManifestRejected': {
      if (!app) return;
      const current = s.apps[app] ?? { id: app, path: e.data.path, templates: {} };
      current.rejected = { seq: e.seq, errors: e.data.errors };
      s.apps[app] = current;
      return;
    }
    case 'ManifestRemoved':
      if (!app) return;
      delete s.apps[app];
      s.gone[app] = e.seq;
      return;
    case 'HostFactsObserved':
      for (const name of e.data.changed) {
        const value = e.data.facts[name];
        if (value === undefined) delete s.facts[name];
        else s.facts[name] = { value, seq: e.seq };
      }
      return;
    case 'SecretObserved':
      s.secrets[e.data.name] = { hash: e.data.hash, seq: e.seq };
      return;
    case 'SecretRemoved':
      delete s.secrets[e.data.name];
      return;
    case 'ContainerObserved': {
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
      };
      s.containers[app] = next;
      return;
    }
    case 'ContainerStarted': {
      if (!app) return;
      const c = s.containers[app];
      if (c && c.id === e.data.id) {
        c.status = 'running';
        delete c.exitCode;
      } else {
        s.containers[app] = {
          id: e.data.id, name: e.data.name, status: 'running', statusSeq: e.seq, statusAt: e.at,
          ...(e.data.specHash ? { specHash: e.data.specHash } : {}),
        };
      }
      setStatus(s.containers[app], e);
      started(s.containers[app], e.at);
      return;
    }
    case 'ContainerExited': {
      const c = app ? s.containers[app] : undefined;
      if (!c || c.id !== e.data.id) return; // a container we already replaced
      if (c.status === 'exited') return; // the same exit, seen by both the event stream and a resync
      c.status = 'exited';
      c.exitCode = e.data.exitCode;
      setStatus(c, e);
      delete c.health;
      // A run that lasted is not part of a crash loop: the backoff starts over.
      if (app && c.startedAt !== undefined && e.at - c.startedAt >= STABLE_RUN_MS) delete s.restarts[app];
      return;
    }
    case 'ContainerRemoved': {
      if (!app) return;
      if (s.unmanaged[app]?.id === e.data.id) delete s.unmanaged[app];
      if (s.containers[app]?.id !== e.data.id) return;
      delete s.containers[app];
      s.gone[app] = e.seq;
      return;
    }
    case 'HealthChanged': {
      const c = app ? s.containers[app] : undefined;
      if (!app || !c || c.id !== e.data.id) return;
      c.health = { status: e.data.status, seq: e.seq, at: e.at, ...(e.data.detail ? { detail: e.data.detail } : {}) };
      if (e.data.status !== 'healthy') return;
      c.everHealthy = true;
      // Remember what a healthy container ran, to roll back to it if a later update fails.
      const config = goodConfig(s as State, app, c.specHash, e.seq);
      if (config) s.lastGood[app] = config;
      return;
    }
    case 'DriftDetected': {
      const c = app ? s.containers[app] : undefined;
      if (!c || c.id !== e.data.id) return;
      if (e.data.differences.length === 0) delete c.drift;
      else c.drift = { seq: e.seq, differences: e.data.differences };
      return;
    }
    case 'UnmanagedContainerObserved':
      if (!app) return;
      s.unmanaged[app] = { id: e.data.id, name: e.data.name, image: e.data.image, seq: e.seq, differences: e.data.differences };
      return;
    case 'BackoffScheduled':
      if (!app) return;
      s.backoff[app] = { attempt: e.data.attempt, until: e.data.until, seq: e.seq };
      return;
    case 'RolledBack': {
      const config = app ? s.lastGood[app] : undefined;
      if (!app || !config) return;
      s.pinned[app] = { config, badManifestHash: e.data.badManifestHash, seq: e.seq };
      return;
    }
    case 'ImageProgress':
      return;
    case 'PlanDecided':
      s.lastPlan = { seq: e.seq, actions: e.data.actions };
      return;
    case 'ActionStarted':
      return;
    case 'ActionSucceeded': {
      if (!app) return;
      delete s.failures[app];
      const kind = e.data.kind;
      if (kind === 'remove') {
        delete s.containers[app];
        return;
      }
      if (NEW_CONTAINER.has(kind) && e.data.containerId && e.data.spec) {
        s.containers[app] = {
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
        };
        delete s.gone[app];
        delete s.unmanaged[app];
        // A new spec is a new start: earlier crashes do not count against it.
        if (kind !== 'adopt') { delete s.restarts[app]; delete s.backoff[app]; }
        return;
      }
      const c = s.containers[app];
      if ((kind === 'start' || kind === 'restart') && c && (!e.data.containerId || c.id === e.data.containerId)) {
        c.status = 'running';
        delete c.exitCode;
        setStatus(c, e);
        started(c, e.data.startedAt ?? e.at);
        if (e.data.attempt !== undefined) s.restarts[app] = { attempt: e.data.attempt + 1, seq: e.seq };
      }
      return;
    }
    case 'ActionFailed':
      if (!app) return;
      s.failures[app] = { seq: e.seq, at: e.at, kind: e.data.kind, message: e.data.error.message, attempt: (s.failures[app]?.attempt ?? 0) + 1 };
      return;
  }
}

/** Actions whose success means a new container (or, for adopt, a newly claimed one). */
const NEW_CONTAINER: ReadonlySet<string> = new Set(['create', 'recreate', 'rollback', 'adopt']);

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
