// The fold: `evolve(state, event)`. The one definition of what an event means, used by the live
// daemon and by offline replay alike. Pure: no I/O, no clock; time comes from `event.at`.
import { produce, type Draft as Mutable } from 'immer';
import type { Envelope } from './events.js';
import { ManifestSchema } from '../manifest/schema.js';
import { hashOf } from './hash.js';
import { initialState, type ContainerState, type State } from './state.js';

export function evolve(state: State, event: Envelope): State {
  return produce(state, (s) => {
    apply(s, event);
    s.seq = event.seq;
  });
}

export function fold(events: Iterable<Envelope>, from: State = initialState): State {
  let state = from;
  for (const e of events) state = evolve(state, e);
  return state;
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
      return;
    }
    case 'ContainerExited': {
      const c = app ? s.containers[app] : undefined;
      if (!c || c.id !== e.data.id) return; // a container we already replaced
      c.status = 'exited';
      c.exitCode = e.data.exitCode;
      setStatus(c, e);
      return;
    }
    case 'ContainerRemoved': {
      if (!app || s.containers[app]?.id !== e.data.id) return;
      delete s.containers[app];
      s.gone[app] = e.seq;
      return;
    }
    case 'PlanDecided':
      s.lastPlan = { seq: e.seq, actions: e.data.actions };
      return;
    case 'ActionStarted':
      return;
    case 'ActionSucceeded': {
      if (!app) return;
      delete s.failures[app];
      if (e.data.kind === 'remove') {
        delete s.containers[app];
        return;
      }
      if ((e.data.kind === 'create' || e.data.kind === 'recreate') && e.data.containerId && e.data.spec) {
        s.containers[app] = {
          id: e.data.containerId,
          name: e.data.spec.name,
          status: 'running',
          image: e.data.spec.image,
          spec: e.data.spec,
          statusSeq: e.seq,
          statusAt: e.at,
          ...(e.data.specHash ? { specHash: e.data.specHash } : {}),
        };
        delete s.gone[app];
        return;
      }
      const c = s.containers[app];
      if (e.data.kind === 'start' && c && (!e.data.containerId || c.id === e.data.containerId)) {
        c.status = 'running';
        delete c.exitCode;
        setStatus(c, e);
      }
      return;
    }
    case 'ActionFailed':
      if (!app) return;
      s.failures[app] = { seq: e.seq, at: e.at, kind: e.data.kind, message: e.data.error.message };
      return;
  }
}

function setStatus(c: Mutable<ContainerState> | undefined, e: Envelope): void {
  if (!c) return;
  c.statusSeq = e.seq;
  c.statusAt = e.at;
}
