// The daemon: wires observers → log → projection → reconciler → executor, and stops cleanly.
import { fromEvent, type Observable } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';
import type Docker from 'dockerode';
import type { Draft, Envelope } from '../core/events.js';
import { desiredApp, HASH_VERSION, resolveSpec } from '../core/spec.js';
import type { State } from '../core/state.js';
import { FOLD_VERSION } from '../core/state.js';
import { driftDrafts, factsDraft, inventoryDrafts, manifestDrafts, podmanEventDrafts, secretDrafts, unmanagedDrafts } from '../core/observations.js';
import { renderReason } from '../core/render.js';
import { execute, type NodePolicy } from '../act/executor.js';
import { podmanClient, podmanStreamClient, ping, READ_TIMEOUT_MS } from '../act/podman.js';
import { DaemonRunningError, DbLockedError } from '../log/errors.js';
import { EventStore } from '../log/store.js';
import { readHostFacts, watchFile } from '../observe/host-facts.js';
import { HealthMonitor, type ProbeTarget } from '../observe/health.js';
import { readInventory } from '../observe/inventory.js';
import { readManifests, watchManifests } from '../observe/manifests.js';
import { DEFAULT_POLICY_FILE, policyContext } from '../observe/policy-file.js';
import { followEvents } from '../observe/podman-events.js';
import { exposedSecrets, readSecretHashes, secretHash } from '../host/secrets.js';
import { nodeKeyFor } from './node-key.js';
import { coalesced, exclusive } from './coalesce.js';
import { controlSocketPath, runningDaemon, serveControl } from './control.js';
import { groupId, shareControl } from './control-access.js';
import { Projection } from './projection.js';
import { Reconciler } from './reconciler.js';
import { loadState } from '../log/fold.js';
import { writeSnapshot } from '../log/snapshots.js';
import type { Logger } from './logger.js';
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
 * How long a stop waits for actions in flight (and reads) to finish. A podman call can hang for as
 * long as its timeout (120 s; seen after the service was killed mid-call): past this the daemon stops
 * anyway, as if it had crashed there, which the next start handles (it re-observes, then re-plans).
 */
const STOP_GRACE_MS = 10_000;

/**
 * An offline command may hold the db for a moment (`podledger events` while no daemon runs): wait for
 * it. A daemon holding it is refused at once, by name.
 */
async function openWaitingForLock(dir: string, log: Logger, waitMs = 15_000): Promise<EventStore> {
  const deadline = Date.now() + waitMs;
  for (let announced = false; ; announced = true) {
    try {
      return await EventStore.open(dir);
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

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const { log } = o;
  const controlGid = o.controlGroup === undefined ? undefined : await groupId(o.controlGroup);
  const store = await openWaitingForLock(o.dataDir, log);
  const node = await nodeKeyFor(store, o.dataDir).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const loaded = await loadState(store, {
    onCorrupt: (seq, reason) => log.error('event log record cannot be decoded; left out of the projection', { seq, reason }),
    report: (message, seq) => log.error(message, { seq }),
  });
  const initial = loaded.state;
  log.info(loaded.startedFrom === 'snapshot' ? `projection loaded from the snapshot at #${loaded.from}` : loaded.startedFrom === 'compaction'
    ? `projection loaded from the compaction snapshot at #${loaded.from}` : 'projection folded from the start of the log (no usable snapshot)', {
    from: loaded.from, folded: loaded.folded, seq: initial.seq,
  });
  const projection = new Projection(initial, fromEvent(store, 'appended') as Observable<Envelope[]>);
  const boot = await store.beginBoot({ version: VERSION, pid: process.pid, foldVersion: FOLD_VERSION, hashVersion: HASH_VERSION, node: node.id });
  log.info('daemon started', { boot: boot.boot, seq: boot.seq, node: node.id, apps: o.appsDir, data: o.dataDir, podman: o.socket });

  const state = () => projection.state;
  // Served from the start, so offline commands never find the db locked with nobody answering.
  const control = await serveControl(o.dataDir, store, state);
  if (controlGid !== undefined) await shareControl(o.dataDir, controlSocketPath(o.dataDir), controlGid);
  const append = async (drafts: Draft[]) => (drafts.length > 0 ? store.append(drafts) : []);
  const nodeKey = node.key;
  const hashSecret = (value: string) => secretHash(nodeKey, value);
  const docker: Docker = await podmanClient(o.socket);
  const reader: Docker = await podmanClient(o.socket, READ_TIMEOUT_MS); // the inventory's: never holds the turn for long
  const closers: (() => unknown)[] = [];
  const guard = (what: string) => (err: unknown) => log.error(`${what} failed`, { error: err instanceof Error ? err.message : String(err) });

  // Observers: each reads its source and appends only what differs from the projection.
  const policy = { policyFile: o.policyFile, secretsDir: o.secretsDir, podmanSocket: o.socket };
  // A policy file that cannot be read fails the whole read: nothing is rejected (or removed) because of it.
  // The executor acts by it too: its data root anchors host paths (act/host-fs.ts), its build_host_files limit builds.
  let nodePolicy: NodePolicy | undefined;
  const manifests = coalesced(async () => {
    const context = await policyContext(policy);
    nodePolicy = { dataRoot: context.policy.data_root, buildHostFiles: context.policy.build_host_files, policyFile: context.policyFile };
    await append(manifestDrafts(state(), await readManifests(o.appsDir, context)));
  }, guard('reading manifests'));
  const facts = coalesced(async () => append(factsDraft(state(), await readHostFacts(o.dataDir, o.hostFactsFile))), guard('reading host facts'));
  let exposed = '';
  const secrets = coalesced(async () => {
    await append(secretDrafts(state(), await readSecretHashes(o.secretsDir, nodeKey)));
    // Said once per run, and again when it changes: a warning repeated every read is noise.
    const now = await exposedSecrets(o.secretsDir);
    if (now.join('\n') === exposed) return;
    exposed = now.join('\n');
    if (now.length === 0 || !o.secretsDir) return;
    const message = `other users can read ${now.join(', ')}; chmod 700 the folder and 600 its files`;
    log.error(`secrets folder is not private: ${message}`, { secrets: o.secretsDir });
    await append([{ type: 'SecurityWarning', source: 'secrets', data: { code: 'secrets-readable', path: o.secretsDir, message } }]);
  }, guard('reading secrets'));
  let podmanUp = false;
  // The inventory wakes the reconciler when podman comes back; the reconciler is made after the first read.
  const late: { reconciler?: Reconciler } = {};
  // Podman is read (inventory) and changed (reconciler) in turn, never at once: a listing taken
  // halfway through a recreate would report the new container missing.
  const podmanTurn = exclusive();
  const inventory = coalesced(() => podmanTurn(async () => {
    const before = state(); // differences are taken against what was believed when the reading began
    let found: Awaited<ReturnType<typeof readInventory>>;
    try {
      await ping(reader, o.socket);
      found = await readInventory(reader, before, hashSecret);
    } catch (err) {
      if (podmanUp) log.error(`cannot reach podman at ${o.socket}; actions wait until it answers`, { error: (err as Error).message });
      podmanUp = false;
      return;
    }
    if (!podmanUp) {
      log.info('podman reachable', { socket: o.socket });
      podmanUp = true;
      late.reconciler?.wake(); // nothing may have been appended, yet there may be work held back
    }
    // A failure here is the log's, not podman's (e.g. disk full): reported as such by the guard.
    await append([
      ...inventoryDrafts(before, found.managed),
      ...unmanagedDrafts(before, found.unmanaged),
      ...driftDrafts(before, found.drift),
    ]);
  }), guard('recording the inventory'));
  const observers = [manifests, facts, secrets, inventory];
  // Podman is read last: telling a container made elsewhere from ours needs the manifests and facts.
  const observeAll = async () => {
    const files = [manifests, facts, secrets];
    files.forEach((x) => x.trigger());
    await Promise.all(files.map((x) => x.idle()));
    inventory.trigger();
    await inventory.idle();
  };

  // First a complete picture, then act: planning on a half-read node could remove what it has not seen yet.
  await observeAll();
  if (!podmanUp) log.error(`cannot reach podman at ${o.socket}; retrying every 2 s`, {});
  while (!podmanUp && !o.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 2_000));
    inventory.trigger();
    await inventory.idle();
  }

  const reconciler = new Reconciler({
    state, append, turn: podmanTurn, ready: () => podmanUp, clock: Date.now, newId: uuidv7, concurrency: o.concurrency ?? 8, onError: guard('reconcile'),
    execute: (action, s) => execute({ docker, patientClient: (ms) => podmanClient(o.socket, ms), appsDir: o.appsDir, ...(nodePolicy ? { policy: nodePolicy } : {}), secretsDir: o.secretsDir, nodeKey, progress: buildProgress(action.app) }, action, s),
    onAction: (action, outcome, detail) => log.info(`${action.kind} ${action.app}: ${outcome}`, {
      reasons: action.reasons.map(renderReason).join('; '), ...(detail ? { detail } : {}),
    }),
  });
  late.reconciler = reconciler;

  // Build steps are progress worth keeping: a few events per build, and a log line each.
  function buildProgress(app: string) {
    return (line: string) => {
      log.info(line, { app });
      const step = /^STEP \d+\/\d+: .*/.exec(line)?.[0];
      const image = desiredApp(state(), app)?.manifest ? resolveSpec(desiredApp(state(), app)!, state()) : undefined;
      if (step && image?.ok) void append([{ type: 'ImageProgress', source: 'executor', app, data: { image: image.spec.image, step } }]).catch(guard('recording build progress'));
    };
  }

  const health = new HealthMonitor({
    socketPath: o.socket,
    clock: Date.now,
    onError: guard('health probe'),
    targets: () => healthTargets(state()),
    recorded: (app, id) => (state().containers[app]?.id === id ? state().containers[app]?.health?.status : undefined),
    report: async (t, status, streak, detail) => {
      await append([{ type: 'HealthChanged', source: 'health', app: t.app, data: { id: t.id, status, failingStreak: streak, ...(detail ? { detail } : {}) } }]);
    },
  });
  const wakeOn = projection.state$.subscribe(() => {
    reconciler.wake();
    health.sync();
  });

  let streamLost = false;
  const follower = followEvents(await podmanStreamClient(o.socket), {
    // Adopted containers carry no labels: they are known by id.
    appOf: (id) => Object.entries(state().containers).find(([, c]) => c.adopted && c.id === id)?.[0],
    onEvent: (e) => void append(podmanEventDrafts(state(), e)).catch(guard('recording podman event')),
    onConnected: () => {
      if (streamLost) log.info('podman event stream reconnected; resyncing the inventory', {});
      streamLost = false;
      inventory.trigger();
    },
    onLost: (err) => {
      if (!streamLost) log.error('podman event stream lost; reconnecting with backoff', { error: err.message });
      streamLost = true;
    },
  });
  const watchers = [
    watchManifests(o.appsDir, () => manifests.trigger()),
    watchFile(o.policyFile ?? DEFAULT_POLICY_FILE, () => manifests.trigger()),
    ...(o.hostFactsFile ? [watchFile(o.hostFactsFile, () => facts.trigger())] : []),
    ...(o.secretsDir ? [watchFile(o.secretsDir, () => secrets.trigger())] : []),
  ];
  const resync = setInterval(() => observers.forEach((x) => x.trigger()), o.resyncMs ?? 60_000);

  // A snapshot every `every` events, so the next start folds only the tail; one at a time.
  const every = snapshotInterval(o);
  const kept = o.snapshotsKept ?? 3;
  let snapshotAt = loaded.startedFrom === 'start' ? 0 : loaded.from;
  let snapshotting: Promise<void> | undefined;
  const snapshot = (s: State): Promise<void> => writeSnapshot(store, s, kept).then(() => {
    snapshotAt = s.seq;
    log.info(`snapshot written at #${s.seq}`, {});
  });
  const snapshots = projection.state$.subscribe((s) => {
    if (snapshotting || s.seq - snapshotAt < every) return;
    snapshotting = snapshot(s).catch(guard('writing a snapshot')).finally(() => (snapshotting = undefined));
  });
  closers.push(() => clearInterval(resync), () => follower.close(), () => wakeOn.unsubscribe(), () => health.close(), () => snapshots.unsubscribe());

  /**
   * A stop that takes long says what it waits for, every 5 s, so a hung podman call shows by name; it
   * waits at most STOP_GRACE_MS. Returns false if it stopped waiting.
   */
  async function waitWhileStopping(work: Promise<unknown>, waitingFor: () => string): Promise<boolean> {
    const every = setInterval(() => log.info(`stopping: still waiting for ${waitingFor()}`, {}), 5_000);
    let grace: NodeJS.Timeout | undefined;
    try {
      const expired = new Promise<'expired'>((resolve) => (grace = setTimeout(() => resolve('expired'), STOP_GRACE_MS)));
      if ((await Promise.race([work, expired])) !== 'expired') return true;
      log.error(`stopping without waiting longer for ${waitingFor()}: their outcome is not recorded; the next start observes what they did`, {});
      return false;
    } finally {
      clearInterval(every);
      clearTimeout(grace);
    }
  }

  return {
    async stop(reason) {
      log.info('daemon stopping', { reason });
      closers.forEach((c) => c());
      await Promise.all(watchers.map((w) => w.close()));
      const acted = await waitWhileStopping(reconciler.stop(), () => {
        const now = Date.now();
        const busy = reconciler.inFlight().map((a) => `${a.kind} ${a.app} (for ${((now - a.since) / 1000).toFixed(1)} s)`);
        return busy.length > 0 ? `${busy.length} action(s) in flight: ${busy.join(', ')}` : 'the reconciler (no action in flight)';
      });
      const read = await waitWhileStopping(Promise.all(observers.map((x) => x.idle())), () => 'the observers (manifests, facts, secrets, inventory) to finish a read');
      await store.append([{ type: 'BootStopped', source: 'reconciler', data: { reason } }]);
      await snapshotting;
      await snapshot(projection.state).catch(guard('writing the snapshot at shutdown'));
      await control.close();
      projection.close();
      await store.close();
      log.info('daemon stopped; containers left running', {});
      return { waitedForAll: acted && read };
    },
  };
}

/** Running containers whose spec has a health check: what the health monitor probes. */
function healthTargets(state: State): ProbeTarget[] {
  return Object.entries(state.containers).flatMap(([app, c]): ProbeTarget[] => {
    const spec = c.spec;
    if (c.status !== 'running' || !spec?.healthCheck) return [];
    return [{ app, id: c.id, spec, check: spec.healthCheck, startedAt: c.startedAt ?? c.statusAt }];
  });
}
