// The commands behind `podledger <command>`: each reads its inputs, calls the core, prints.
import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Envelope } from '../core/events.js';
import { fold, stateHash } from '../core/evolve.js';
import { driftDrafts, factsDraft, inventoryDrafts, manifestDrafts, secretDrafts, unmanagedDrafts } from '../core/observations.js';
import { plan } from '../core/plan.js';
import { renderDifference, renderEvent, renderPlan, renderReason } from '../core/render.js';
import { acceptsHash, desiredApp, resolveSpec } from '../core/spec.js';
import { initialState, type State } from '../core/state.js';
import { explain, renderWhy } from '../core/why.js';
import { formatManifestError } from '../manifest/parse.js';
import { podmanClient, ping } from '../act/podman.js';
import { collect } from '../log/fold.js';
import { readNdjson, writeNdjson } from '../log/ndjson.js';
import { EventStore } from '../log/store.js';
import { readHostFacts } from '../observe/host-facts.js';
import { readInventory } from '../observe/inventory.js';
import { readCatalog } from '../observe/manifests.js';
import { NODE_KEY_FILE, readSecretHashes, secretHash } from '../observe/secrets.js';
import { createLogger } from '../daemon/logger.js';
import { startDaemon } from '../daemon/daemon.js';
import { MemoryLog } from './memory-log.js';
import { daemonState, NoLogError, openLog } from './source.js';

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

const policyOf = (o: Common) => ({ policyFile: o.policy, secretsDir: o.secrets, podmanSocket: o.podmanSocket });

/** Exit code 1: the input is invalid or a check found a divergence. */
export class InvalidInputError extends Error {
  constructor(message: string, readonly output?: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const json = (value: unknown): void => out(JSON.stringify(value, null, 2));
const warnCorrupt = (seq: number, reason: string) => process.stderr.write(`podledger: event #${seq} cannot be decoded and is left out: ${reason}\n`);

export async function daemon(o: Common, resyncSeconds: number, concurrency: number): Promise<void> {
  const log = createLogger(Boolean(o.json));
  // Signals are caught from the first moment, so even a start-up still waiting for podman stops cleanly.
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stopping.abort(signal);
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const d = await startDaemon({
    appsDir: o.apps, dataDir: o.data, socket: o.podmanSocket, log, resyncMs: resyncSeconds * 1000, concurrency, signal: stopping.signal,
    ...(o.hostFacts ? { hostFactsFile: o.hostFacts } : {}), ...(o.secrets ? { secretsDir: o.secrets } : {}),
    ...(o.policy ? { policyFile: o.policy } : {}),
  });
  if (!stopping.signal.aborted) await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
  process.removeListener('SIGTERM', onSignal).removeListener('SIGINT', onSignal);
  await d.stop(String(stopping.signal.reason));
}

export async function validate(o: Common): Promise<void> {
  const readings = await readCatalog(o.apps, policyOf(o));
  const errors = [...readings.values()].flatMap((r) => (r.ok ? [] : r.errors));
  if (o.json) json({ ok: errors.length === 0, apps: readings.size, errors });
  else if (errors.length === 0) out(`${readings.size} app manifest(s) in ${o.apps} are valid`);
  if (errors.length > 0) throw new InvalidInputError(`${errors.length} error(s) in ${o.apps}`, o.json ? undefined : errors.map(formatManifestError).join('\n'));
}

/** Events of the log given by --log or --data (through the daemon when it runs). */
async function loadEvents(o: Common): Promise<Envelope[]> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    return await collect(source.items, warnCorrupt);
  } finally {
    await source.close();
  }
}

/** The node's believed state: the running daemon's own, else a fold of the log, else empty. */
async function currentState(o: Common): Promise<State> {
  if (!o.log) {
    const live = await daemonState(o.data);
    if (live) return live.state;
    if (!existsSync(o.data)) return initialState;
  }
  return fold(await loadEvents(o));
}

export async function planCommand(o: Common): Promise<void> {
  const believed = await currentState(o);
  // Observe everything afresh, in memory only: a dry run writes nothing.
  const key = await readFile(path.join(o.data, NODE_KEY_FILE)).catch(() => Buffer.alloc(32));
  const docker = podmanClient(o.podmanSocket);
  await ping(docker, o.podmanSocket);
  const memory = new MemoryLog(believed, Date.now);
  memory.append(manifestDrafts(memory.state, await readCatalog(o.apps, policyOf(o))));
  memory.append(factsDraft(memory.state, await readHostFacts(o.data, o.hostFacts)));
  memory.append(secretDrafts(memory.state, await readSecretHashes(o.secrets, key)));
  const found = await readInventory(docker, memory.state, (value) => secretHash(key, value));
  memory.append([...inventoryDrafts(memory.state, found.managed), ...unmanagedDrafts(memory.state, found.unmanaged)]);
  memory.append(driftDrafts(memory.state, found.drift));
  const decided = plan(memory.state, Date.now());
  if (o.json) return json({ atSeq: believed.seq, observedSeqs: memory.state.seq > believed.seq ? [believed.seq + 1, memory.state.seq] : [], actions: decided.actions });
  out(renderPlan(decided.actions));
  if (memory.state.seq > believed.seq) {
    out(`(#${believed.seq + 1}–#${memory.state.seq} are what this dry run observed just now; they are not in the log)`);
  }
}

export async function status(o: Common): Promise<void> {
  const state = await currentState(o);
  const ids = [...new Set([...Object.keys(state.apps), ...Object.keys(state.containers)])].sort();
  const rows = ids.map((id) => {
    const app = state.apps[id];
    const c = state.containers[id];
    const config = desiredApp(state, id);
    const desired = config ? resolveSpec(config, state) : undefined;
    const planned = state.lastPlan?.actions.filter((a) => a.app === id) ?? [];
    const backoff = state.backoff[id];
    const hasCheck = config?.manifest?.container.health_check !== undefined;
    return {
      app: id,
      desired: !app ? 'removed' : app.rejected ? 'manifest rejected' : desired?.ok ? desired.hash.slice(0, 12) : 'unresolved',
      observed: c ? `${c.status}${c.exitCode !== undefined ? ` (exit ${c.exitCode})` : ''}` : 'no container',
      health: hasCheck && c?.status === 'running' ? (c.health?.status ?? 'starting') : null,
      container: c?.id.slice(0, 12) ?? null,
      converged: Boolean(c && desired?.ok && acceptsHash(c, desired) && c.status === 'running' && !c.drift),
      restarts: state.restarts[id]?.attempt ?? 0,
      backoff: backoff && c?.status !== 'running' ? { attempt: backoff.attempt, until: new Date(backoff.until).toISOString() } : null,
      rolledBack: state.pinned[id] ? { from: state.pinned[id].config.specHash.slice(0, 12), untilManifestChanges: true } : null,
      drift: c?.drift?.differences ?? [],
      failure: state.failures[id]?.message ?? null,
      pending: planned.map((a) => `${a.kind}: ${a.reasons.map(renderReason).join('; ')}`),
    };
  });
  if (o.json) return json({ seq: state.seq, boot: state.boot, apps: rows });
  out(`as of event #${state.seq} (boot ${state.boot})`);
  for (const r of rows) {
    const health = r.health ? ` ${r.health}` : '';
    out(`${r.converged ? '✓' : '✗'} ${r.app.padEnd(16)} ${(r.observed + health).padEnd(24)} desired ${r.desired}${r.container ? `  container ${r.container}` : ''}`);
    if (r.restarts > 0) out(`    restarts since last stable run: ${r.restarts}${r.backoff ? `; next not before ${r.backoff.until}` : ''}`);
    if (r.rolledBack) out('    rolled back to the last healthy configuration; held there until the manifest changes');
    for (const d of r.drift) out(`    drift: ${renderDifference(d)}`);
    for (const p of r.pending) out(`    ${p}`);
    if (r.failure) out(`    last failure: ${r.failure}`);
  }
}

export interface EventFilter { app?: string; boot?: number; since?: number; type?: string[] }

export async function events(o: Common, f: EventFilter): Promise<void> {
  const selected = (await loadEvents(o)).filter((e) =>
    (f.app === undefined || e.app === f.app) && (f.boot === undefined || e.boot === f.boot)
    && (f.since === undefined || e.seq > f.since) && (f.type === undefined || f.type.includes(e.type)));
  for (const e of selected) out(o.json ? JSON.stringify(e) : renderEvent(e));
}

export async function why(o: Common, app: string, all: boolean): Promise<void> {
  const entries = explain(await loadEvents(o), app);
  const shown = all ? entries : entries.slice(-1);
  if (o.json) return json({ app, entries: shown });
  if (shown.length === 0) throw new InvalidInputError(`why: ${app}: no create, recreate, start or remove of this app in the log`);
  out(renderWhy(shown));
}

export async function replay(o: Common, until?: number): Promise<void> {
  const events = (await loadEvents(o)).filter((e) => until === undefined || e.seq <= until);
  const state = fold(events);
  const hash = stateHash(state);
  if (o.json) return json({ seq: state.seq, stateHash: hash, state });
  out(`replayed ${events.length} events up to #${state.seq} (boot ${state.boot}); state hash ${hash}`);
  for (const [id, c] of Object.entries(state.containers).sort(([a], [b]) => a.localeCompare(b))) {
    out(`  ${id.padEnd(16)} ${c.status.padEnd(8)} ${c.id.slice(0, 12)} spec ${c.specHash?.slice(0, 12) ?? '?'}`);
  }
  for (const id of Object.keys(state.apps).filter((a) => !state.containers[a]).sort()) out(`  ${id.padEnd(16)} (no container)`);
}

export async function exportCommand(o: Common, boot?: number, file?: string): Promise<void> {
  const events = (await loadEvents(o)).filter((e) => boot === undefined || e.boot === boot);
  const target = file ? createWriteStream(file) : process.stdout;
  const n = await writeNdjson((async function* () { yield* events; })(), target);
  if (file) {
    await new Promise<void>((resolve, reject) => (target as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
    process.stderr.write(`exported ${n} events to ${file}\n`);
  }
}

export async function importCommand(o: Common, file: string): Promise<void> {
  if (!existsSync(file)) throw new NoLogError(file);
  const store = await EventStore.open(o.data);
  try {
    const { imported, skipped } = await store.importEvents(readNdjson(file));
    if (o.json) json({ imported, skipped });
    else out(`imported ${imported} events into ${o.data} (${skipped} already present)`);
  } finally {
    await store.close();
  }
}
