// The daemon's composition root: open the log, then start its services in order — control socket,
// snapshots, boot record, observers (a complete first picture), reconciler, health monitor, podman's
// event stream — and stop them in the reverse order (services.ts).
import { fromEvent, Subject, type Observable } from 'rxjs';
import type { Draft, Envelope } from '../core/events.js';
import { exclusive } from '../core/serial.js';
import { HASH_VERSION } from '../core/spec.js';
import type { State } from '../core/state.js';
import { FOLD_VERSION } from '../core/state.js';
import { podmanClient, podmanStreamClient, READ_TIMEOUT_MS } from '../podman/client.js';
import { StartInspects } from '../podman/address.js';
import { DaemonRunningError, DbLockedError } from '../log/errors.js';
import { EventStore } from '../log/store.js';
import { loadState } from '../log/fold.js';
import { writeSnapshot } from '../log/snapshots.js';
import { nodeKeyFor } from '../log/node-identity.js';
import { controlSocketPath, runningDaemon, serveControl, type DaemonAbout } from './control.js';
import { groupId, shareControl } from './control-access.js';
import { policyContext } from '../observe/policy-file.js';
import { startObservers } from './observers.js';
import { Projection } from './projection.js';
import { startReconciler } from './acting.js';
import { Services, type Service } from './services.js';
import { startHealth, startPodmanEvents } from './watchers.js';
import type { Logger } from './logger.js';
import type { Notifier } from './notify.js';
import { healthRoutes, serveHttp, type HttpAddress, type Routes, type Served } from './health-http.js';
import { createMetrics, type Metrics } from './metrics.js';
import { promClient } from './prom.js';
import { serialRecorder } from './recorder.js';
import { VERSION } from '../version.js';

export interface DaemonOptions {
  appsDir: string;
  dataDir: string;
  socket: string;
  hostFactsFile?: string;
  secretsDir?: string;
  /** how many actions run at once (default 8) */
  concurrency?: number;
  /** the node policy; default /etc/podledger/policy.yml when present */
  policyFile?: string;
  /** a group (name or id) that may use the control socket besides root */
  controlGroup?: string;
  resyncMs?: number;
  log: Logger;
  /** aborted by SIGTERM/SIGINT: start-up stops waiting for podman, so the caller can stop cleanly */
  signal?: AbortSignal;
  /** write a projection snapshot every so many appended events (default: $PODLEDGER_SNAPSHOT_EVERY, else 10,000) */
  snapshotEvery?: number;
  /** how many snapshots to keep (default 3) */
  snapshotsKept?: number;
  /** systemd's service notifications (./notify.ts): ready once the first plan is decided */
  notify?: Notifier;
  /** also serve /healthz, /readyz and /metrics on this TCP address (they are always on the control socket) */
  http?: HttpAddress;
  /**
   * More routes for the --http listener (the web UI), made from the daemon's store and projection.
   * Injected by the cli, so the daemon never imports the layer above it.
   */
  web?: { routes(live: { store: EventStore; state(): State; about(): DaemonAbout }): Routes; served: Served };
}

const DEFAULT_SNAPSHOT_EVERY = 10_000;

function snapshotInterval(o: DaemonOptions): number {
  const fromEnv = Number(process.env.PODLEDGER_SNAPSHOT_EVERY);
  const n = o.snapshotEvery ?? (Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_SNAPSHOT_EVERY);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new RangeError(`snapshotEvery must be a positive whole number, got ${n}`);
  return n;
}

export interface RunningDaemon {
  /** `waitedForAll` false: a podman call was still running when the stop gave up waiting (STOP_GRACE_MS). */
  stop(reason: string): Promise<{ waitedForAll: boolean }>;
}

/**
 * An offline command may hold the db for a moment (`podledger events` while no daemon runs): wait for
 * it. A daemon holding it is refused at once, by name.
 */
async function openWaitingForLock(dir: string, log: Logger, waitMs = 15_000): Promise<EventStore> {
  const deadline = Date.now() + waitMs;
  for (let announced = false; ; announced = true) {
    try {
      return await EventStore.open(dir, {}, (text) => log.info(text, { data: dir }));
    } catch (err) {
      if (!(err instanceof DbLockedError)) throw err;
      const other = await runningDaemon(dir);
      if (other) throw new DaemonRunningError(dir, other.pid, { cause: err });
      if (Date.now() > deadline) throw err;
      if (!announced) log.info('event log is locked by another podledger process; waiting for it', { data: dir });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The log opened for this node, its projection folded from the newest usable snapshot. */
async function openLog(o: DaemonOptions) {
  const { log } = o;
  const store = await openWaitingForLock(o.dataDir, log);
  const node = await nodeKeyFor(store, o.dataDir).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const loaded = await loadState(store, {
    onCorrupt: (seq, reason) => log.error('event log record cannot be decoded; left out of the projection', { seq, reason }),
    report: (message, seq) => log.warn(message, { seq }), // an older snapshot, or the whole log, is folded instead
  });
  log.info(loaded.startedFrom === 'snapshot' ? `projection loaded from the snapshot at #${loaded.from}` : loaded.startedFrom === 'compaction'
    ? `projection loaded from the compaction snapshot at #${loaded.from}` : 'projection folded from the start of the log (no usable snapshot)', {
    from: loaded.from, folded: loaded.folded, seq: loaded.state.seq,
  });
  return { store, node, loaded };
}

/** how long after start the daemon first keeps `why --all`'s entries (then after each snapshot) */
const KEEP_WHY_AFTER_START_MS = 60_000;

/**
 * A snapshot every so many events, so the next start folds only the tail; one at a time. Its stop
 * writes the last one, after the boot's end is recorded.
 */
function startSnapshots(o: DaemonOptions, store: EventStore, projection: Projection, from: number, guard: (what: string) => (err: unknown) => void): Service {
  const every = snapshotInterval(o);
  const kept = o.snapshotsKept ?? 3;
  let at = from;
  let writing: Promise<void> | undefined;
  const stopping = new AbortController();
  const snapshot = (s: State): Promise<void> => writeSnapshot(store, s, kept).then(() => {
    at = s.seq;
    o.log.info(`snapshot written at #${s.seq}`, {});
  });
  // the `why --all` entries that became final since the last keeping are kept (log/why-keep.ts)
  const keepWhy = () => store.materializeWhy(stopping.signal).then(({ entries }) => o.log.debug('why entries kept', { entries, seq: store.lastSeq }));
  const sub = projection.state$.subscribe((s) => {
    if (writing || s.seq - at < every) return;
    writing = snapshot(s).then(keepWhy).catch(guard('writing a snapshot')).finally(() => (writing = undefined));
  });
  // and once soon after start, so a log kept by no daemon before (an upgrade) need not wait for its next snapshot
  const soon = setTimeout(() => {
    if (!writing) writing = keepWhy().catch(guard('keeping why entries')).finally(() => (writing = undefined));
  }, KEEP_WHY_AFTER_START_MS);
  soon.unref();
  return {
    name: 'snapshots',
    quiesce: () => {
      sub.unsubscribe();
      clearTimeout(soon);
      stopping.abort(); // a keeping of why entries in progress ends after its app: the stop waits for no more
    },
    async stop() {
      await writing;
      await snapshot(projection.state).catch(guard('writing the snapshot at shutdown'));
    },
  };
}

/**
 * Start-up is complete once the first plan is decided: the log is open, the node observed, podman
 * answers, and what to do about it is known (and recorded, if it is news). The node is not converged
 * yet: that is what the reconciler then works on.
 */
function announceReady(o: DaemonOptions, { actions, planSeq }: { actions: number; planSeq: number | undefined }): void {
  o.log.info('daemon ready: first plan decided', { actions, ...(planSeq ? { plan: planSeq } : {}) });
  o.notify?.ready(actions === 0 ? 'running: nothing to do' : `running: first plan decided, ${actions} action(s)`);
}

/** Appends, each timed into the metrics' append latency (durable, group commit included). */
function timedAppend(store: EventStore, metrics: Metrics) {
  return async (drafts: Draft[]): Promise<Envelope[]> => {
    if (drafts.length === 0) return [];
    const began = performance.now();
    const appended = await store.append(drafts);
    metrics.observeAppend((performance.now() - began) / 1000);
    return appended;
  };
}

/** Each decision timed; the first one makes the daemon ready. */
function decided(o: DaemonOptions, seen: { planned: boolean }, metrics: Metrics, trace: (phase: string) => void) {
  return (decision: { actions: number; planSeq: number | undefined; seconds: number }): void => {
    metrics.observePlan(decision.seconds);
    if (seen.planned) o.log.debug('decision taken', { actions: decision.actions, seconds: decision.seconds });
    else {
      trace('first plan decided');
      announceReady(o, decision);
    }
    seen.planned = true;
  };
}

/**
 * Health and metrics: what readiness and the gauges read, filled in as the services they read start
 * (until the observers run, podman is not yet asked; until the reconciler decides, nothing is planned).
 */
async function observability(o: DaemonOptions, store: EventStore, state: () => State) {
  const seen = {
    podman: (): DaemonAbout['podman'] => ({ socket: o.socket, reachable: false }),
    lastInventoryAt: (): number | undefined => undefined,
    planned: false,
  };
  const metrics = await createMetrics({ state, podmanReachable: () => seen.podman().reachable, lastResyncAt: () => seen.lastInventoryAt(), seq: () => store.lastSeq });
  const routes = healthRoutes({
    metrics,
    notReady: () => [
      ...(seen.podman().reachable ? [] : [seen.podman().checkedAt === undefined ? `podman at ${o.socket} not asked yet` : `podman does not answer at ${o.socket}`]),
      ...(seen.planned ? [] : ['no decision taken yet (the daemon is reading the node, or waiting for podman)']),
    ],
  });
  return { seen, metrics, routes };
}

/**
 * Start-up phases at debug level, each with the ms since the process began (`performance.now()`, so
 * node's own start and module loading count): where the time to the first create goes.
 */
export function startupTracer(log: Logger): (phase: string) => void {
  const seen = new Set<string>(); // each phase once: the readers run again at every resync
  return (phase) => {
    if (seen.has(phase)) return;
    seen.add(phase);
    log.debug('start-up phase', { phase, ms: Math.round(performance.now()) });
  };
}

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const { log } = o;
  const trace = startupTracer(log);
  trace('daemon module loaded');
  const controlGid = o.controlGroup === undefined ? undefined : await groupId(o.controlGroup);
  const guard = (what: string) => (err: unknown) => log.error(`${what} failed`, { error: err instanceof Error ? err.message : String(err) });
  const startedAt = Date.now();
  // dockerode and prom-client are loaded (tens of ms of module code each) while the log opens
  const podmanClients = Promise.all([podmanClient(o.socket, READ_TIMEOUT_MS), podmanClient(o.socket), podmanStreamClient(o.socket)]);
  podmanClients.catch(() => undefined); // awaited below; a failure is thrown there
  promClient().catch(() => undefined); // likewise (createMetrics)
  const { store, node, loaded } = await openLog(o);
  trace('log open, projection folded');
  const services = new Services(log);
  services.add({ name: 'event log', stop: () => store.close() });
  const projection = new Projection(loaded.state, fromEvent(store, 'appended') as Observable<Envelope[]>);
  services.add({ name: 'projection', stop: () => projection.close() });
  const state = () => projection.state;
  const { seen, metrics, routes } = await observability(o, store, state);
  if (o.http) { // before the boot is recorded: an address in use fails the start with nothing to undo in the log
    const web = o.web?.routes({ store, state, about: () => ({ startedAt, podman: seen.podman() }) });
    const both: Routes = web ? (req, res) => routes(req, res) || web(req, res) : routes;
    const listener = await serveHttp(o.http, both, log, o.web?.served).catch(async (err: unknown) => {
      await services.stopAll();
      throw err;
    });
    services.add({ name: 'http listener', stop: () => listener.close() });
  }
  const [boot, policy] = await Promise.all([
    store.beginBoot({ version: VERSION, pid: process.pid, foldVersion: FOLD_VERSION, hashVersion: HASH_VERSION, node: node.id }),
    // which policy grants what the catalog asks is found, not always named: say which (a bad one is said by the manifest reading)
    policyContext({ appsDir: o.appsDir, ...(o.policyFile ? { policyFile: o.policyFile } : {}) }).then((p) => (p.policyFileExists === false ? 'built-in defaults' : p.policyFile), () => 'unreadable'),
  ]);
  trace('boot recorded, policy file found');
  log.info('daemon started', { boot: boot.boot, seq: boot.seq, node: node.id, apps: o.appsDir, data: o.dataDir, podman: o.socket, policy });

  const append = timedAppend(store, metrics);
  const record = serialRecorder(state, append);
  // Served from the start, so offline commands never find the db locked with nobody answering.
  const control = await serveControl(o.dataDir, store, state, () => ({ startedAt, podman: seen.podman() }), routes);
  services.add({ name: 'control socket', stop: () => control.close() });
  if (controlGid !== undefined) await shareControl(o.dataDir, controlSocketPath(o.dataDir), controlGid);
  services.add(startSnapshots(o, store, projection, loaded.startedFrom === 'start' ? 0 : loaded.from, guard));
  let stopReason = '';
  services.add({ name: 'boot record', stop: () => store.append([{ type: 'BootStopped', source: 'reconciler', data: { reason: stopReason } }]) });

  // Podman is read (inventory) and changed (reconciler) in turn, never at once: a listing taken
  // halfway through a recreate would report the new container missing.
  const turn = exclusive();
  const podmanBack$ = new Subject<void>();
  trace('control socket served');
  // the inventory's reader has a short timeout: it never holds the turn for long
  const [reader, actor, streamer] = await podmanClients;
  trace('podman client loaded');
  const observers = services.add(startObservers({
    sources: { appsDir: o.appsDir, dataDir: o.dataDir, hostFactsFile: o.hostFactsFile, secretsDir: o.secretsDir, policyFile: o.policyFile, podmanSocket: o.socket, nodeKey: node.key },
    state, append, record, reader, turn, log, guard, trace, onPodmanBack: () => podmanBack$.next(),
  }));
  seen.podman = () => observers.podman();
  seen.lastInventoryAt = () => observers.lastInventoryAt();
  // First a complete picture, then act: planning on a half-read node could remove what it has not seen yet.
  o.notify?.status('reading manifests, host facts and podman');
  await observers.observeAll();
  if (!observers.podmanUp()) o.notify?.status(`waiting for podman at ${o.socket}`);
  await observers.untilPodman(o.signal);
  trace('node observed');

  const watched = { state, state$: projection.state$, append, record, guard, log };
  const inspects = new StartInspects();
  services.add(startReconciler({
    ...watched, podmanBack$, turn, ready: observers.podmanUp, policy: observers.policy, docker: actor,
    socket: o.socket, appsDir: o.appsDir, secretsDir: o.secretsDir, nodeKey: node.key, concurrency: o.concurrency ?? 8, trace, inspects,
    onDecided: decided(o, seen, metrics, trace),
  }));
  services.add(startHealth(watched, o.socket, reader, inspects));
  services.add(startPodmanEvents(watched, streamer, reader, () => { trace('podman events connected'); observers.inventory.trigger(); }));
  trace('services started');
  observers.watch(o.resyncMs ?? 60_000);

  return {
    async stop(reason) {
      log.info('daemon stopping', { reason });
      o.notify?.stopping(`stopping (${reason})`);
      stopReason = reason;
      const waitedForAll = await services.stopAll();
      log.info('daemon stopped; containers left running', {});
      return { waitedForAll };
    },
  };
}
