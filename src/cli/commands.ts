// The commands behind `podledger <command>`: each reads its inputs, calls the core, prints.
// What only some commands use (podman, the db, the daemon, manifests) each loads when it runs, so an
// offline read of a log starts without dockerode, level or the daemon (docs/benchmarks.md, start-up).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Draft, Envelope } from '../core/events.js';
import { renderPlanSummary, summarizePlan, type PlanSummary } from '../core/action-kinds.js';
import { fold } from '../core/evolve.js';
import { plan } from '../core/plan.js';
import { printable, renderEvent, renderPlan } from '../core/render.js';
import { initialState, type State } from '../core/state.js';
import { readExportHeader, readNdjson } from '../log/ndjson.js';
import { readNodeKey, readNodeKeyId } from '../log/node-identity.js';
import { matchesRead } from '../log/reader.js';
import type { LogFormat, LogLevel } from '../daemon/logger.js';
import type { HttpAddress } from '../daemon/health-http.js';
import type { DaemonOptions } from '../daemon/daemon.js';
import type { Bound } from './args.js';
import { InvalidInputError, UsageError } from './errors.js';
import { checkImportFile } from './input-file.js';
import { noSuchBoot, seqOfPoint } from './points.js';
import { Undecodable } from './undecodable.js';
import { MemoryLog } from './memory-log.js';
import { json, out } from './output.js';
import { loadLog, undecodable } from './load-log.js';
import { daemonState } from './source.js';
import { loadSelectedEvents } from './why-source.js';

export interface Common {
  apps: string;
  data: string;
  podmanSocket: string;
  hostFacts?: string;
  secrets?: string;
  policy?: string;
  log?: string;
  json?: boolean;
}

/** What the node policy is read with, as the command line names it (--policy, --secrets, --podman-socket). */
const policyOf = (o: Common) => ({ policyFile: o.policy, secretsDir: o.secrets, podmanSocket: o.podmanSocket });

export { InvalidInputError, UsageError };

/** For events arriving one by one (`events --follow`): a whole read tells its undecodable lines once (./undecodable.ts). */
const warnCorrupt = (seq: number, reason: string) => process.stderr.write(`podledger: event #${seq} cannot be decoded and is left out: ${printable(reason, 300)}\n`);

/** The daemon's own log and listener options (`--log-level`, `--log-format`, `--http`). */
export interface DaemonOutput { logLevel?: LogLevel; logFormat?: LogFormat; http?: HttpAddress }

export async function daemon(o: Common & DaemonOutput, resyncSeconds: number, concurrency: number, snapshotEvery?: number, controlGroup?: string, web?: DaemonOptions['web']): Promise<void> {
  const [{ createLogger }, { startDaemon }, { systemdNotifier }] = await Promise.all([import('../daemon/logger.js'), import('../daemon/daemon.js'), import('../daemon/notify.js')]);
  const log = createLogger({ level: o.logLevel ?? 'info', format: o.logFormat ?? (o.json ? 'json' : 'text') });
  // Signals are caught from the first moment, so even a start-up still waiting for podman stops cleanly.
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stopping.abort(signal);
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const notify = systemdNotifier(process.env, log);
  const d = await startDaemon({
    appsDir: o.apps, dataDir: o.data, socket: o.podmanSocket, log, resyncMs: resyncSeconds * 1000, concurrency, signal: stopping.signal, notify,
    ...(snapshotEvery ? { snapshotEvery: Math.floor(snapshotEvery) } : {}),
    ...(o.hostFacts ? { hostFactsFile: o.hostFacts } : {}), ...(o.secrets ? { secretsDir: o.secrets } : {}),
    ...(o.policy ? { policyFile: o.policy } : {}), ...(controlGroup ? { controlGroup } : {}), ...(o.http ? { http: o.http, ...(web ? { web } : {}) } : {}),
  });
  if (!stopping.signal.aborted) await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
  process.removeListener('SIGTERM', onSignal).removeListener('SIGINT', onSignal);
  const { waitedForAll } = await d.stop(String(stopping.signal.reason));
  await notify.close();
  // A podman call left hanging holds a socket open, which would keep the process alive until it times out.
  if (!waitedForAll) process.exit(0);
}

/** The node's believed state: the running daemon's own, else a fold of the log, else empty. */
async function currentState(o: Common): Promise<State> {
  if (!o.log) {
    const live = await daemonState(o.data);
    if (live) return live.state;
    if (!existsSync(path.join(o.data, 'CURRENT'))) return initialState; // a fresh node: nothing believed yet
  }
  const { events, base } = await loadLog(o);
  return fold(events.filter((e) => e.seq > base.seq), base);
}

/** The plan, printed; and its summary, for `--detailed-exitcode`. */
export async function planCommand(o: Common): Promise<PlanSummary> {
  const believed = await currentState(o);
  // Observe everything afresh, in memory only: a dry run writes nothing.
  const key = await readNodeKey(o.data).catch(() => Buffer.alloc(32));
  const [{ podmanClient, ping }, { observeOnce, readers }, { serialRecorder }] = await Promise.all([import('../podman/client.js'), import('../daemon/observe-once.js'), import('../daemon/recorder.js')]);
  const docker = await podmanClient(o.podmanSocket);
  await ping(docker, o.podmanSocket);
  const memory = new MemoryLog(believed, Date.now);
  // the daemon's readings, once, in order (files, then podman), each failure an error of this command
  const read = readers({ ...policyOf(o), appsDir: o.apps, dataDir: o.data, hostFactsFile: o.hostFacts, nodeKey: key }, { state: () => memory.state, record: serialRecorder(() => memory.state, (drafts: Draft[]) => memory.append(drafts)) });
  await observeOnce({ files: [read.manifests, read.facts, read.secrets], podman: () => read.inventory(docker) });
  const decided = plan(memory.state, Date.now());
  const summary = summarizePlan(decided.actions);
  if (o.json) {
    json({ atSeq: believed.seq, observedSeqs: memory.state.seq > believed.seq ? [believed.seq + 1, memory.state.seq] : [], summary, actions: decided.actions });
    return summary;
  }
  out(renderPlan(decided.actions));
  if (memory.state.seq > believed.seq) {
    out(`(#${believed.seq + 1}–#${memory.state.seq} are what this dry run observed just now; they are not in the log)`);
  }
  out(renderPlanSummary(summary));
  return summary;
}

export type { Bound };

export interface EventFilter { app?: string; boot?: number; since?: Bound; until?: Bound; type?: string[]; follow?: boolean }

const after = (e: Envelope, b: Bound | undefined) => b === undefined || ('seq' in b ? e.seq > b.seq : e.at >= b.at);
const atOrBefore = (e: { seq: number; at: number }, b: Bound | undefined) => b === undefined || ('seq' in b ? e.seq <= b.seq : e.at <= b.at);

export async function events(o: Common, f: EventFilter): Promise<void> {
  if (f.follow && o.log) throw new UsageError('events --follow follows a live log: give --data DIR of the node (its daemon is read through its control socket), not --log');
  if (f.follow && f.until) throw new UsageError('events: --follow has no end; leave out --until');
  // seq bounds narrow the read itself; time bounds are checked per event (the log has no index by time)
  const read = {
    ...(f.app !== undefined ? { app: f.app } : {}), ...(f.boot !== undefined ? { boot: f.boot } : {}),
    ...(f.since && 'seq' in f.since ? { since: f.since.seq } : {}), ...(f.until && 'seq' in f.until ? { until: f.until.seq } : {}),
  };
  const wanted = (e: Envelope) => matchesRead(e, read) && after(e, f.since) && atOrBefore(e, f.until) && (f.type === undefined || f.type.includes(e.type));
  const print = (e: Envelope) => out(o.json ? JSON.stringify(e) : renderEvent(e));
  const bad = undecodable(o);
  const { events: selected, last } = await loadSelectedEvents(o, read, bad.note);
  bad.report();
  const mayBeMissing = selected.length === 0 || (f.until !== undefined && 'seq' in f.until && last < f.until.seq);
  if (mayBeMissing && !f.follow) await assertPointsExist(o, f);
  selected.filter(wanted).forEach(print);
  if (!f.follow) return;

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const { followLog } = await import('./follow.js');
    await followLog(o.data, read, Math.max(last, read.since ?? 0), {
      event: (e) => { if (wanted(e)) print(e); },
      corrupt: warnCorrupt,
      waiting: (message) => void process.stderr.write(`${message}\n`),
    }, stop.signal);
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

/**
 * An empty (or short) read of `events` may be of a boot or seq the log does not hold: an error naming
 * what it holds, as replay, diff and export say. Only then is the whole log read (a filtered read skips it).
 */
async function assertPointsExist(o: Common, f: EventFilter): Promise<void> {
  if (f.boot === undefined && !(f.since && 'seq' in f.since) && !(f.until && 'seq' in f.until)) return;
  const { events: all, base } = await loadLog(o, new Undecodable(o.log ?? o.data));
  if (f.boot !== undefined && !all.some((e) => e.boot === f.boot)) throw new InvalidInputError(`events: --boot ${f.boot}: ${noSuchBoot(all, f.boot)}`);
  for (const [flag, b] of [['--since', f.since], ['--until', f.until]] as const) {
    if (b && 'seq' in b) seqOfPoint(all, base, b, `events: ${flag} ${b.seq}`);
  }
}

export async function importCommand(o: Common, file: string): Promise<void> {
  await checkImportFile(file);
  const header = await readExportHeader(file);
  const node = await readNodeKeyId(o.data);
  const { EventStore } = await import('../log/store.js');
  const db = await EventStore.open(o.data);
  try {
    const r = await db.importEvents(readNdjson(file), { ...(header ? { header } : {}), ...(node ? { node } : {}) });
    if (o.json) return json({ ...r, node: await db.node() ?? null });
    out(`imported ${r.imported} events into ${o.data} (${r.skipped} already present)`);
    if (r.compactedThrough !== undefined) out(`the export is of a log compacted through #${r.compactedThrough}: the state at that cut came with it, and replay, status and why start there`);
  } finally {
    await db.close();
  }
}
