// The observers as a service: each source is read behind a coalescing runner (no two reads of one
// source race), again whenever its files change and at every resync, and appends only differences.
// Podman is read in turn with the reconciler's changes, never halfway through a recreate.
import type Docker from 'dockerode';
import type { Draft } from '../core/events.js';
import type { Exclusive } from '../core/serial.js';
import type { State } from '../core/state.js';
import type { NodePolicy } from '../act/executor.js';
import { pingVersion } from '../podman/client.js';
import { exposedSecrets } from '../host/secrets.js';
import { watchFile } from '../observe/host-facts.js';
import { watchManifests } from '../observe/manifests.js';
import { policyCandidates } from '../observe/policy-file.js';
import { coalesced, type Coalesced } from './coalesce.js';
import type { Logger } from './logger.js';
import { observeOnce, readers, type Readers, type Sources } from './observe-once.js';
import type { Record } from './recorder.js';
import type { Service } from './services.js';

export interface ObserverDeps {
  sources: Sources;
  state: () => State;
  append: (drafts: Draft[]) => Promise<unknown>;
  /** observations decided and appended in turn (recorder.ts) */
  record: Record;
  /** the podman client for reads (a short timeout: a read never holds the turn for long) */
  reader: Docker;
  /** podman is read and changed in turn */
  turn: Exclusive;
  log: Logger;
  guard: (what: string) => (err: unknown) => void;
  /** podman answers again after it did not: work may have been held back */
  onPodmanBack: () => void;
  /** marks a start-up phase (daemon.ts's tracer) */
  trace?: (phase: string) => void;
}

export interface Observers extends Service {
  /** true once podman answered the last inventory read */
  podmanUp(): boolean;
  /** what `status` shows of podman: whether it answered the last read, its version, when last asked */
  podman(): PodmanReport;
  /** when the last complete read of podman's containers ended (ms; metrics show its age) */
  lastInventoryAt(): number | undefined;
  /** the node policy as last read, which the executor acts by */
  policy(): NodePolicy | undefined;
  /** every source once, podman last: the complete picture the first plan needs */
  observeAll(): Promise<void>;
  /** read podman again now (its event stream reconnected, or the daemon waits for it) */
  inventory: Coalesced;
  /** read podman every 2 s until it answers (or the daemon is asked to stop) */
  untilPodman(signal: AbortSignal | undefined): Promise<void>;
  /** start watching files and resyncing every `resyncMs` */
  watch(resyncMs: number): void;
}

export interface PodmanReport {
  socket: string;
  reachable: boolean;
  /** podman's version, asked each time it comes back (absent until it answers) */
  version?: string;
  /** when the daemon last asked podman (ms) */
  checkedAt?: number;
}

export function startObservers(d: ObserverDeps): Observers {
  const { sources: src, log } = d;
  const read = readers(src, { state: d.state, record: d.record });
  let policy: NodePolicy | undefined;
  let up = false;
  let version: string | undefined;
  let checkedAt: number | undefined;
  let inventoryAt: number | undefined;
  const trace = d.trace ?? (() => undefined);
  const manifests = coalesced(async () => { policy = await read.manifests(); trace('manifests read'); }, d.guard('reading manifests'));
  const facts = coalesced(async () => { await read.facts(); trace('host facts read'); }, d.guard('reading host facts'));
  const secrets = secretsReader(d, read, trace);
  let said: string | undefined;
  const inventory = coalesced(() => d.turn(async () => {
    try {
      checkedAt = Date.now();
      said = await pingVersion(src.podmanSocket);
    } catch (err) {
      if (up) log.error(`cannot reach podman at ${src.podmanSocket}; actions wait until it answers`, { error: (err as Error).message });
      up = false;
      return;
    }
    if (!up) {
      // Asked again on every return: podman may have been upgraded while it was away. Its ping says
      // it; a server that does not is asked /version, not waited for (podman 4.3 took ~0.5 s to answer
      // it, which held the first plan that long), as the version is only shown.
      version = said ?? version;
      up = true;
      d.onPodmanBack();
      if (said) log.info('podman reachable', { socket: src.podmanSocket, version });
      else void Promise.resolve().then(() => d.reader.version()).then((v) => v.Version || version, () => version).then((v) => {
        version = v;
        log.info('podman reachable', { socket: src.podmanSocket, ...(version ? { version } : {}) });
      });
    }
    // A failure here is the log's, not podman's (e.g. disk full): reported as such by the guard.
    trace('podman answered');
    await read.inventory(d.reader);
    inventoryAt = Date.now();
    trace('inventory read');
  }), d.guard('recording the inventory'));

  const all = [manifests, facts, secrets, inventory];
  const run = (x: Coalesced) => () => { x.trigger(); return x.idle(); };
  const closers: (() => Promise<unknown> | unknown)[] = [];
  return {
    name: 'observers',
    podmanUp: () => up,
    podman: () => ({ socket: src.podmanSocket, reachable: up, ...(version ? { version } : {}), ...(checkedAt !== undefined ? { checkedAt } : {}) }),
    lastInventoryAt: () => inventoryAt,
    policy: () => policy,
    inventory,
    observeAll: () => observeOnce({ files: [run(manifests), run(facts), run(secrets)], podman: run(inventory) }),
    async untilPodman(signal) {
      // at boot podman's socket may simply not be up yet: a warning; losing it later is an error
      if (!up) log.warn(`cannot reach podman at ${src.podmanSocket}; retrying every 2 s`, {});
      while (!up && !signal?.aborted) {
        await new Promise((r) => setTimeout(r, 2_000));
        inventory.trigger();
        await inventory.idle();
      }
    },
    watch(resyncMs) {
      const watchers = [
        watchManifests(src.appsDir, () => manifests.trigger()),
        ...policyCandidates(src).map((file) => watchFile(file, () => manifests.trigger())),
        ...(src.hostFactsFile ? [watchFile(src.hostFactsFile, () => facts.trigger())] : []),
        ...(src.secretsDir ? [watchFile(src.secretsDir, () => secrets.trigger())] : []),
      ];
      const resync = setInterval(() => all.forEach((x) => x.trigger()), resyncMs);
      let watching = true;
      closers.push(() => { watching = false; clearInterval(resync); }, () => Promise.all(watchers.map((w) => w.close())));
      // A file changed after the first reading but before its watch started would wait for the next
      // resync (a minute): read the files once more as soon as every watch is in place.
      void Promise.all(watchers.map((w) => w.ready)).then(() => { trace('file watches ready'); if (watching) [manifests, facts, secrets].forEach((x) => x.trigger()); });
    },
    busyWith: () => 'the observers (manifests, facts, secrets, inventory) to finish a read',
    async quiesce() {
      for (const close of closers.splice(0)) await close();
    },
    async stop() {
      await Promise.all(all.map((x) => x.idle()));
    },
  };
}

/** The secrets folder read; that other users can read it is said once per run, and again when it changes. */
function secretsReader(d: ObserverDeps, read: Readers, trace: (phase: string) => void): Coalesced {
  const { sources: src, log } = d;
  let exposed = '';
  return coalesced(async () => {
    await read.secrets();
    trace('secrets read');
    // A warning repeated every read is noise.
    const now = await exposedSecrets(src.secretsDir);
    if (now.join('\n') === exposed) return;
    exposed = now.join('\n');
    if (now.length === 0 || !src.secretsDir) return;
    const message = `other users can read ${now.join(', ')}; chmod 700 the folder and 600 its files`;
    log.warn(`secrets folder is not private: ${message}`, { secrets: src.secretsDir });
    await d.append([{ type: 'SecurityWarning', source: 'secrets', data: { code: 'secrets-readable', path: src.secretsDir, message } }]);
  }, d.guard('reading secrets'));
}
