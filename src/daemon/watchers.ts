// Services that follow podman as it runs: the health monitor (probes running containers with a
// health check), podman's event stream (deaths and starts, appended as they happen) and conmon's exit
// files (a death the moment it happens, before podman's event says so).
import type Docker from 'dockerode';
import type { Observable } from 'rxjs';
import type { Draft } from '../core/events.js';
import { podmanEventDrafts, type PodmanEvent } from '../core/observations.js';
import { adoptedApp, type State } from '../core/state.js';
import { ExitFileWatcher } from '../observe/exit-files.js';
import { HealthMonitor, healthTargets } from '../observe/health.js';
import { followEvents } from '../observe/podman-events.js';
import { readProbeHost, type StartInspects } from '../podman/address.js';
import type { Logger } from './logger.js';
import type { Record } from './recorder.js';
import type { Service } from './services.js';

interface WatchDeps {
  state: () => State;
  state$: Observable<State>;
  append: (drafts: Draft[]) => Promise<unknown>;
  /** observations decided and appended in turn with every other observer's (recorder.ts) */
  record: Record;
  guard: (what: string) => (err: unknown) => void;
  log: Logger;
}

/**
 * Probes follow the projection: a container seen running with a check is probed from then on, at
 * the address podman gives it on its network (`docker`: a reads-only client), read by the executor's
 * inspect after the start when it kept one (`inspects`).
 */
export function startHealth(d: WatchDeps, socketPath: string, docker: Docker, inspects?: StartInspects): Service {
  const state = d.state;
  const seen = (app: string, id: string) => (state().containers[app]?.id === id ? state().containers[app] : undefined);
  const health = new HealthMonitor({
    socketPath,
    clock: Date.now,
    onError: d.guard('health probe'),
    targets: () => healthTargets(state()),
    address: async (t) => inspects?.take(t.id, t.spec.network, t.startedAt) ?? readProbeHost(docker, t.id, t.spec.network),
    recorded: (app, id) => seen(app, id)?.health?.status,
    recordedProbe: (app, id) => seen(app, id)?.probes?.at(-1),
    report: async (t, r) => {
      // what the probe saw first: it is why the verdict changed
      await d.append([
        ...(r.probe ? [{ type: 'ProbeOutcomeChanged' as const, source: 'health' as const, app: t.app, data: { id: t.id, ok: r.probe.ok, output: r.probe.output, latencyMs: r.probe.latencyMs } }] : []),
        ...(r.health ? [{ type: 'HealthChanged' as const, source: 'health' as const, app: t.app, data: { id: t.id, status: r.health.status, failingStreak: r.health.streak, ...(r.health.detail ? { detail: r.health.detail } : {}) } }] : []),
      ]);
    },
  });
  const sync = d.state$.subscribe(() => health.sync());
  const close = () => { sync.unsubscribe(); health.close(); };
  return { name: 'health monitor', quiesce: close, stop: close };
}

/**
 * Podman's events, appended as observations; a reconnect asks for a fresh inventory (events may be
 * lost). Deaths come first from conmon's exit files (`reader`: a reads-only client to inspect with):
 * once one is recorded and the container restarted, the stream's late `died` for it could read as a
 * death of the new run, so a `died` is recorded only while podman says the container is down.
 */
export function startPodmanEvents(d: WatchDeps, docker: Docker, reader: Docker, resync: () => void): Service {
  let lost = false;
  // One death reaches here from its exit file (often twice: the file is created, then written) and
  // from the stream, and the inventory may read it too: each is decided in its turn (recorder.ts).
  const record = (e: PodmanEvent) => {
    d.record((now) => podmanEventDrafts(now, e)).catch(d.guard('recording podman event'));
  };
  const ours = (id: string) => Object.entries(d.state().containers).find(([, c]) => c.id === id)?.[0];
  const exits = new ExitFileWatcher({ docker: reader, appOf: ours, onEvent: record, onError: d.guard('watching exit files') });
  const discover = d.state$.subscribe((s) => {
    if (exits.watching) return; // every state change passes here: no scan once the folder is known
    const running = Object.values(s.containers).find((c) => c.status === 'running');
    if (running) void exits.discover(running.id);
  });
  const stillDown = async (e: PodmanEvent) => {
    if (e.action !== 'died' || !exits.watching) return true;
    const now = await reader.getContainer(e.id).inspect().catch(() => undefined) as { State?: { Running?: boolean } } | undefined;
    return now?.State?.Running !== true;
  };
  const follower = followEvents(docker, {
    appOf: (id) => adoptedApp(d.state(), id), // adopted containers carry no labels: known by id
    onEvent: (e) => void stillDown(e).then((down) => { if (down) record(e); }, d.guard('recording podman event')),
    onConnected: () => {
      if (lost) d.log.info('podman event stream reconnected; resyncing the inventory', {});
      lost = false;
      resync();
    },
    onLost: (err) => {
      // deaths are still seen (exit files, resync) while it reconnects: a warning, not an error
      if (!lost) d.log.warn('podman event stream lost; reconnecting with backoff', { error: err.message });
      lost = true;
    },
  });
  const close = () => { discover.unsubscribe(); exits.close(); follower.close(); };
  return { name: 'podman events', quiesce: close, stop: close };
}
