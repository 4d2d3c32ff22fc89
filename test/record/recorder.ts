// The recorder's tools: one scenario = a temp dir (apps, data, secrets, host facts, policy), the real
// daemon on it against the run's isolated podman service (test/support/podman-global.ts), and at the
// end its exported log and what that log must replay to, written into events/ and replay/.
//
// Recordings differ only where they must: ids and times. Container names are the app ids (the
// podman store is the run's own), images are tagged localhost/podledger-record/*, host facts come
// from a file (never the machine's IP or disk), the daemon runs in the scenario's dir (manifests are
// logged as apps/<id>/manifest.yml), which lies at a fixed path, and the node key is a fixed test
// key (secret hashes, and so spec hashes, come out the same). What must not clash on a shared host
// — the network name (netavark keeps state by it) and host ports — is the recorder's own: one
// network name no test or demo uses, and ports that are checked to be free. Two recordings at once
// would write the same fixtures anyway, so a lock refuses the second.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Envelope, EnvelopeOf, EventType } from '../../src/core/events.js';
import { fold, stateHash } from '../../src/core/evolve.js';
import { plan } from '../../src/core/plan.js';
import { renderEvent, renderPlan } from '../../src/core/render.js';
import { checkDecisions } from '../../src/core/replay.js';
import { explain, renderWhy } from '../../src/core/why.js';
import { controlItems, controlSocketPath } from '../../src/daemon/control.js';
import { collect } from '../../src/log/fold.js';
import { readNdjson } from '../../src/log/ndjson.js';
import { REPO_ROOT, runCli, startDaemon, type Daemon } from '../support/cli.js';
import { podmanCli, podmanEnv, waitFor } from '../support/podman.js';

export const EVENTS_DIR = join(REPO_ROOT, 'events');
export const REPLAY_DIR = join(REPO_ROOT, 'replay');

/** Images the recorder builds once per run (test/record/library.record.ts). */
export const IMAGES = {
  /** busybox httpd on :8080, exits at once on SIGTERM */
  good: 'localhost/podledger-record/web:good',
  /** never serves anything: its http health check never passes */
  bad: 'localhost/podledger-record/web:bad',
} as const;

/** `replay/<scenario>.json`: what `events/<scenario>.ndjson` must replay to. */
export interface Expectation {
  scenario: string;
  description: string;
  /** number of records in the ndjson */
  events: number;
  finalSeq: number;
  /** stateHash(fold(all events)) */
  finalStateHash: string;
  /** number of PlanDecided */
  decisions: number;
  /** per app: renderWhy(explain(events, app).slice(-1)) */
  why: Record<string, string>;
}

/** The recorder's network: a name no test (they add random suffixes) and not the demo uses. */
export const NETWORK = 'podledger-record';

/** Where scenarios run: a fixed path, so the paths a log records are the same on every recording. */
export const WORK_DIR = join(tmpdir(), 'podledger-record');

/** A fixed node key: secrets hash the same on every recording. A test key, for test secrets only. */
const NODE_KEY = createHash('sha256').update('podledger-record: test node key, not a secret').digest();

/** Take WORK_DIR for this process (emptied), or throw if a live recording holds it. */
export async function claimWorkDir(): Promise<void> {
  const owner = join(WORK_DIR, 'owner.pid');
  if (existsSync(owner)) {
    const pid = Number(readFileSync(owner, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another recording (pid ${pid}) is using ${WORK_DIR}; wait for it to finish`);
  }
  await rm(WORK_DIR, { recursive: true, force: true });
  await mkdir(WORK_DIR, { recursive: true });
  await writeFile(owner, String(process.pid));
}

export function releaseWorkDir(): Promise<void> {
  return rm(WORK_DIR, { recursive: true, force: true, maxRetries: 3 });
}

function listenable(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(0));
    server.listen(port, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A host TCP port nothing listens on right now and not in `claimed`: `preferred` when it is free (so
 * recordings usually agree), else any.
 */
export async function freePort(preferred: number, claimed: Set<number>): Promise<number> {
  for (let candidate = preferred; ; candidate = 0) {
    const port = await listenable(candidate);
    if (port > 0 && !claimed.has(port)) {
      claimed.add(port);
      return port;
    }
  }
}

/** A recording that ran but does not show what its scenario is about: worth one more try. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const ofType = <T extends EventType>(events: readonly Envelope[], type: T, app?: string): EnvelopeOf<T>[] =>
  events.filter((e): e is EnvelopeOf<T> => e.type === type && (app === undefined || e.app === app));

/** The log of a running daemon, read through its control socket (what `podledger events` reads then). */
export async function liveLog(data: string): Promise<Envelope[]> {
  const events: Envelope[] = [];
  for await (const item of controlItems(controlSocketPath(data), '/events')) {
    if (!item.ok) throw new Error(`control socket served an undecodable record: ${item.reason}`);
    events.push(item.event);
  }
  return events;
}

/** ActionStarted events of the log that have no outcome: in flight, or (of an earlier boot) interrupted. */
export function openActions(events: readonly Envelope[], boot?: number): EnvelopeOf<'ActionStarted'>[] {
  const done = new Set(events.filter((e) => e.type === 'ActionSucceeded' || e.type === 'ActionFailed').map((e) => e.causedBy));
  return ofType(events, 'ActionStarted').filter((e) => !done.has(e.seq) && (boot === undefined || e.boot === boot));
}

export interface ManifestOptions {
  /** lines inside `container:` (indented by two spaces) */
  container?: string;
  /** top-level lines after `container:` (dependencies, files) */
  rest?: string;
  /** seconds podman waits after SIGTERM before it kills (default 2) */
  stopTimeout?: number;
}

/** A scenario's temp dir and its daemon. */
export class Scenario {
  readonly apps: string;
  readonly data: string;
  readonly secrets: string;
  readonly facts: string;
  readonly policy: string;
  readonly appData: string;
  daemon: Daemon | undefined;
  private readonly outputs: string[] = [];
  private readonly ports = new Set<number>();

  constructor(readonly name: string, readonly root: string) {
    this.apps = join(root, 'apps');
    this.data = join(root, 'data');
    this.secrets = join(root, 'secrets');
    this.facts = join(root, 'host-facts.json');
    this.policy = join(root, 'policy.yml');
    this.appData = join(root, 'appdata');
  }

  static async create(name: string): Promise<Scenario> {
    const s = new Scenario(name, join(WORK_DIR, name));
    await rm(s.root, { recursive: true, force: true });
    for (const dir of [s.apps, s.secrets, s.appData, s.data]) await mkdir(dir, { recursive: true });
    await writeFile(join(s.data, 'node.key'), NODE_KEY, { mode: 0o600 });
    await s.writeFacts({ HOST_IP: '10.0.0.5' });
    await writeFile(s.policy, `data_root: ${s.appData}\nallow: {}\n`);
    return s;
  }

  /** A free host port for this scenario: `preferred` unless it is taken. */
  port(preferred: number): Promise<number> {
    return freePort(preferred, this.ports);
  }

  /** Host facts as the file gives them; HOST_MDNS and DISK_GB fixed unless given, so the OS never shows. */
  writeFacts(facts: Record<string, string | number>): Promise<void> {
    return writeFile(this.facts, `${JSON.stringify({ HOST_MDNS: 'podledger-record.local', DISK_GB: 100, ...facts })}\n`);
  }

  /** `apps/<id>/manifest.yml` for a prebuilt image (never pulled); the container is named after the app. */
  async writeApp(id: string, image: string, opts: ManifestOptions = {}): Promise<void> {
    await mkdir(join(this.apps, id), { recursive: true });
    await writeFile(join(this.apps, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }
container:
  image: ${image}
  pull_policy: never
  network: ${NETWORK}
  stop_timeout: ${opts.stopTimeout ?? 2}
${opts.container ?? ''}${opts.rest ?? ''}`);
  }

  async start(): Promise<Daemon> {
    if (this.daemon && this.daemon.exitCode() === null) throw new Error(`${this.name}: a daemon is already running`);
    const daemon = startDaemon({
      apps: this.apps, data: this.data, socket: podmanEnv().socket, hostFacts: this.facts, secrets: this.secrets,
      extraArgs: ['--policy', this.policy], cwd: this.root,
    });
    this.daemon = daemon;
    await daemon.waitForOutput('podman reachable', { timeoutMs: 30_000 });
    return daemon;
  }

  /** SIGTERM and wait: a clean stop (BootStopped appended) or an error. */
  async stop(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon) return;
    this.daemon = undefined;
    const code = await daemon.stop();
    this.outputs.push(daemon.output());
    expect(code, `${this.name}: daemon exit code; output:\n${daemon.output()}`).toBe(0);
  }

  /** kill -9: no BootStopped, nothing finished. */
  async kill(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon) throw new Error(`${this.name}: no daemon to kill`);
    this.daemon = undefined;
    process.kill(daemon.pid, 'SIGKILL');
    await waitFor(() => daemon.exitCode() !== null, { timeoutMs: 10_000, intervalMs: 20, what: `daemon ${daemon.pid} gone after SIGKILL` });
    this.outputs.push(daemon.output());
  }

  /** Everything every daemon of this scenario printed. */
  output(): string {
    return [...this.outputs, this.daemon?.output() ?? ''].join('\n');
  }

  log(): Promise<Envelope[]> {
    return liveLog(this.data);
  }

  /** Poll the running daemon's log until `predicate` holds; on timeout the error shows the daemon's output. */
  async until<T>(what: string, predicate: (events: Envelope[]) => T, timeoutMs = 30_000): Promise<Exclude<T, false | undefined | null | 0 | ''>> {
    try {
      return await waitFor(async () => predicate(await this.log()), { timeoutMs, intervalMs: 100, what: `${this.name}: ${what}` });
    } catch (err) {
      const log = await this.log().then((events) => events.slice(-40).map(renderEvent).join('\n'), (e: Error) => `(cannot read: ${e.message})`);
      throw new Error(`${(err as Error).message}\n--- log (tail) ---\n${log}\n--- daemon output (tail) ---\n${this.output().slice(-6000)}`, { cause: err });
    }
  }

  /**
   * Until the last recorded plan is "converged" (no actions), made after `afterSeq`, with no action of
   * this boot in flight and every one of `apps` running.
   */
  converged(what: string, apps: readonly string[], afterSeq = 0, timeoutMs = 40_000): Promise<Envelope[]> {
    return this.until(what, (events) => {
      // A plan is recorded only when it is news: converged is when the last one was taken after
      // `afterSeq`, no action is open and today's planner has nothing left to do.
      const decided = ofType(events, 'PlanDecided').at(-1);
      const boot = events.at(-1)?.boot;
      if (!decided || decided.seq <= afterSeq || openActions(events, boot).length > 0) return undefined;
      const state = fold(events);
      if (plan(state, Date.now()).actions.length > 0) return undefined;
      return apps.every((a) => state.containers[a]?.status === 'running') ? events : undefined;
    }, timeoutMs);
  }
}

/** Every container of the run's store (scenarios run one at a time) and the run's network. */
export async function removeEverything(): Promise<void> {
  await podmanCli(['rm', '-a', '-f', '-t', '0']);
}

export async function removeNetwork(): Promise<void> {
  await podmanCli(['network', 'rm', '-f', NETWORK]);
}

/** What a log must replay to. Pure over the events; also used for captures not recorded here. */
export function expectationOf(scenario: string, description: string, events: readonly Envelope[], apps: readonly string[]): Expectation {
  const why: Record<string, string> = {};
  for (const app of apps) {
    const last = explain(events, app).slice(-1);
    if (last.length === 0) throw new Error(`${scenario}: no create/recreate/start/remove of ${app} in the log to explain`);
    why[app] = renderWhy(last);
  }
  return {
    scenario,
    description,
    events: events.length,
    finalSeq: events.at(-1)?.seq ?? 0,
    finalStateHash: stateHash(fold(events)),
    decisions: ofType(events, 'PlanDecided').length,
    why,
  };
}

/** Read an ndjson capture strictly: every line decodes, or this throws naming the bad ones. */
export async function readCapture(file: string): Promise<Envelope[]> {
  const corrupt: string[] = [];
  const events = await collect(readNdjson(file), (seq, reason) => corrupt.push(`#${seq}: ${reason}`));
  if (corrupt.length > 0) throw new Error(`${file}: ${corrupt.length} record(s) do not decode:\n  ${corrupt.join('\n  ')}`);
  return events;
}

/** Refuse a capture today's code does not replay: it would only be a broken fixture. */
export function assertReplays(name: string, events: readonly Envelope[]): void {
  const result = checkDecisions(events);
  const d = result.divergence;
  if (d) {
    throw new Error(
      `${name}: the recorded log does not replay with today's code: decision #${d.seq} diverges (${d.kind}; ` +
        `recorded state ${d.recorded.stateHash.slice(0, 12)}, replayed ${d.replayed.stateHash.slice(0, 12)})\n` +
        `recorded:\n${renderPlan(d.recorded.actions)}replayed:\n${renderPlan(d.replayed.actions)}`,
    );
  }
  expect(result.checked, `${name}: decisions checked`).toBeGreaterThan(0);
}

export async function writeExpectation(exp: Expectation): Promise<void> {
  await writeFile(join(REPLAY_DIR, `${exp.scenario}.json`), `${JSON.stringify(exp, null, 2)}\n`);
}

/**
 * Stop the daemon cleanly, export its log, check that it replays and shows what the scenario is about
 * (`check`), and only then write events/<scenario>.ndjson and replay/<scenario>.json.
 */
export async function finish(
  s: Scenario, description: string, apps: readonly string[], check: (events: Envelope[], text: string) => void | Promise<void>,
): Promise<{ events: Envelope[]; expectation: Expectation }> {
  await s.stop();
  const exported = join(s.root, `${s.name}.ndjson`);
  const r = await runCli(['export', '--data', s.data, '--out', exported]);
  expect(r.code, `${s.name}: export failed: ${r.stderr}`).toBe(0);
  const events = await readCapture(exported);
  expect(events.at(-1)?.type, `${s.name}: the log ends with a clean stop`).toBe('BootStopped');
  assertReplays(s.name, events);
  const expectation = expectationOf(s.name, description, events, apps);
  try {
    await check(events, await readFile(exported, 'utf8'));
  } catch (err) {
    throw new ShapeError(`${s.name}: the recording does not show what the scenario is about: ${(err as Error).message}`, { cause: err });
  }
  // A fixture is the events alone, one per line: the export's header names the recording's throwaway node.
  const lines = (await readFile(exported, 'utf8')).split('\n');
  await writeFile(join(EVENTS_DIR, `${s.name}.ndjson`), (lines[0]?.startsWith('{"podledger":"export"') ? lines.slice(1) : lines).join('\n'));
  await writeExpectation(expectation);
  return { events, expectation };
}
