// Services that follow podman as it runs: the health monitor (probes running containers with a
// health check) and podman's event stream (deaths and starts, appended as they happen).
import type Docker from 'dockerode';
import type { Observable } from 'rxjs';
import type { Draft } from '../core/events.js';
import { podmanEventDrafts } from '../core/observations.js';
import { adoptedApp, type State } from '../core/state.js';
import { HealthMonitor, healthTargets } from '../observe/health.js';
import { followEvents } from '../observe/podman-events.js';
import type { Logger } from './logger.js';
import type { Service } from './services.js';

interface WatchDeps {
  state: () => State;
  state$: Observable<State>;
  append: (drafts: Draft[]) => Promise<unknown>;
  guard: (what: string) => (err: unknown) => void;
  log: Logger;
}

/** Probes follow the projection: a container seen running with a check is probed from then on. */
export function startHealth(d: WatchDeps, socketPath: string): Service {
  const state = d.state;
  const health = new HealthMonitor({
    socketPath,
    clock: Date.now,
    onError: d.guard('health probe'),
    targets: () => healthTargets(state()),
    recorded: (app, id) => (state().containers[app]?.id === id ? state().containers[app]?.health?.status : undefined),
    report: async (t, status, streak, detail) => {
      await d.append([{ type: 'HealthChanged', source: 'health', app: t.app, data: { id: t.id, status, failingStreak: streak, ...(detail ? { detail } : {}) } }]);
    },
  });
  const sync = d.state$.subscribe(() => health.sync());
  const close = () => { sync.unsubscribe(); health.close(); };
  return { name: 'health monitor', quiesce: close, stop: close };
}

/** Podman's events, appended as observations; a reconnect asks for a fresh inventory (events may be lost). */
export function startPodmanEvents(d: WatchDeps, docker: Docker, resync: () => void): Service {
  let lost = false;
  const follower = followEvents(docker, {
    appOf: (id) => adoptedApp(d.state(), id), // adopted containers carry no labels: known by id
    onEvent: (e) => void d.append(podmanEventDrafts(d.state(), e)).catch(d.guard('recording podman event')),
    onConnected: () => {
      if (lost) d.log.info('podman event stream reconnected; resyncing the inventory', {});
      lost = false;
      resync();
    },
    onLost: (err) => {
      if (!lost) d.log.error('podman event stream lost; reconnecting with backoff', { error: err.message });
      lost = true;
    },
  });
  return { name: 'podman events', quiesce: () => follower.close(), stop: () => follower.close() };
}
