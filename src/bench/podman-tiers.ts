// The tiered catalog: 20 web apps in 4 health-gated tiers, from empty to all healthy, next to a
// script gating the same way, an ungated script, podman's own floor (its API driven with no daemon)
// and podman-compose; and where the daemon's time went, from its own log.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { State } from '../core/state.js';
import type { Envelope } from '../core/events.js';
import { controlGetJson, controlItems, controlSocketPath } from '../daemon/control.js';
import type { PodmanService } from './podman-service.js';
import { startDaemon, unitEnv, type Daemon } from './podman-daemon.js';
import { composeUp, findCompose } from './podman-compose.js';
import { allAnswer, median, NETWORK, until, WEB, writeManifest } from './podman-util.js';
import { TIER_CATALOG } from './tier-catalog.js';
import type { BenchRow } from './types.js';

const daemonState = (d: Daemon) => controlGetJson<{ state: State }>(controlSocketPath(d.data), '/state').then((r) => r.state);

/** One run of each way to start the catalog, ms; and where the daemon's time went. */
interface TierRun { ours: number; script: number; gated: number; floor: number; gaps: TierGaps; firstCreate: number; fsyncMs: number[] }

/**
 * 20 web apps in 4 tiers, each tier depending on the previous one being healthy. The daemon, the
 * two scripts and podman's floor run in turn, BENCH_TIERS_RUNS times (3 by default): each figure is
 * the median of its runs, and the daemon's gaps are pooled over all of them (45 dependents for 3).
 */
export async function tiers(p: PodmanService, root: string): Promise<BenchRow[]> {
  const apps = path.join(root, 'tier-apps');
  for (const { id, text } of TIER_CATALOG) await writeManifest(apps, id, text);
  const ids = TIER_CATALOG.map((a) => a.id);
  const runs: TierRun[] = [];
  const count = Math.max(1, Number(process.env.BENCH_TIERS_RUNS ?? 3) || 3);
  for (let r = 0; r < count; r++) runs.push(await tierRun(p, apps, path.join(root, `tier-data-${r}`), ids));
  const med = (f: (r: TierRun) => number) => median(runs.map(f));
  const [ours, script, gated, floor] = [med((r) => r.ours), med((r) => r.script), med((r) => r.gated), med((r) => r.floor)];
  const pooled = (f: (g: TierGaps) => number[]) => spread(runs.flatMap((r) => f(r.gaps)));
  const probeToStart = pooled((g) => g.probeToStart);
  const probeToPlan = pooled((g) => g.probeToPlan);
  const createToDone = pooled((g) => g.createToDone);
  const doneToProbe = pooled((g) => g.doneToProbe);
  const fsync = spread(runs.flatMap((r) => r.fsyncMs).map((ms) => Math.round(ms * 10) / 10));
  const of = `median of ${count}`;
  const name = `20 apps in 4 health-gated tiers: empty → all running and healthy (${of})`;
  const rows: BenchRow[] = [
    { name: `${name} (goal ≤ ×0.7)`, value: ours, unit: 'ms', baseline: { name: 'script gating the same way (a tier\'s podman runs, wait until each answers, next tier)', value: gated }, ratio: ours / gated },
    { name: `${name} (goal ≤ ×1.0)`, value: ours, unit: 'ms', baseline: { name: 'sequential podman run script (no gating), until all answer', value: script }, ratio: ours / script },
    { name: `tiers floor: podman's API alone, gating the same way with no daemon (a tier's creates+starts at once, until each answers, next tier; ${of}): the best ratio reachable here`, value: floor, unit: 'ms', baseline: { name: 'script gating the same way', value: gated }, ratio: floor / gated },
    { name: `${name}: above podman's floor`, value: ours, unit: 'ms', baseline: { name: 'the floor above', value: floor }, ratio: ours / floor },
    { name: `tiers: dependency's first passing probe → dependent's start issued (p50 / p99 / max of ${probeToStart.n}; goal p99 ≤ 50 ms)`, value: probeToStart.p50, unit: `ms / ${probeToStart.p99} ms / ${probeToStart.max} ms` },
    { name: `tiers: of which first passing probe → plan with the dependent's create recorded (p50 / p99 / max of ${probeToPlan.n})`, value: probeToPlan.p50, unit: `ms / ${probeToPlan.p99} ms / ${probeToPlan.max} ms` },
    // the limit under the probe → start figure: the verdict and the plan with the start are two durable writes
    { name: `tiers: disk: write(4 KiB) + fdatasync every 10 ms while podman creates the catalog (its floor run; p50 / p99 / max of ${fsync.n}): a verdict → start takes two such writes`, value: fsync.p50, unit: `ms / ${fsync.p99} ms / ${fsync.max} ms` },
    { name: `tiers: create+start issued → done, podman's part (p50 / max of ${createToDone.n})`, value: createToDone.p50, unit: `ms / ${createToDone.max} ms` },
    { name: `tiers: create+start done → first passing probe (p50 / max of ${doneToProbe.n})`, value: doneToProbe.p50, unit: `ms / ${doneToProbe.max} ms` },
    { name: `tiers: daemon start → first create issued (${of})`, value: med((r) => r.firstCreate), unit: 'ms' },
    // Each turn's own ratios: the daemon and the floor ran a minute apart, under the same load.
    turnRatios('ours ÷ podman\'s floor', runs.map((r) => r.ours / r.floor)),
    turnRatios('ours ÷ the gated script', runs.map((r) => r.ours / r.gated)),
  ];

  // The second baseline: podman-compose up -d of the same catalog, when podman-compose is installed.
  const compose = await findCompose();
  if ('skip' in compose) {
    process.stderr.write(`bench: podman: podman-compose comparison skipped: ${compose.skip}\n`);
    return rows;
  }
  try {
    const c = await composeUp(p, root, compose.path, ids);
    rows.push(
      {
        name, value: ours, unit: 'ms',
        baseline: { name: `podman-compose ${compose.version} up -d (same images, healthchecks, depends_on service_healthy), until all answer`, value: c.answering },
        ratio: ours / c.answering,
      },
      { name: `podman-compose ${compose.version} up -d: until the command returned`, value: c.returned, unit: 'ms' },
    );
  } catch (err) {
    process.stderr.write(`bench: podman: podman-compose comparison failed, no figure: ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    await p.podman('rm', '-af', '-t', '0').catch(() => undefined);
  }
  return rows;
}

/** Per dependent or per app, ms (those whose events are missing left out); when the first create was issued. */
interface TierGaps { probeToStart: number[]; probeToPlan: number[]; createToDone: number[]; doneToProbe: number[]; firstAction: number }

/** One turn: the daemon from empty to all healthy, then each script, then podman's floor; all removed after each. */
async function tierRun(p: PodmanService, apps: string, data: string, ids: readonly string[]): Promise<TierRun> {
  const t0 = Date.now();
  const d = await startDaemon(p, apps, data);
  let ours: number;
  let gaps: TierGaps;
  try {
    // polled as often as the scripts poll their apps (50 ms), so no side is timed more coarsely
    await until('20 apps healthy', async () => {
      const s = await daemonState(d);
      return ids.every((id) => s.containers[id]?.health?.status === 'healthy') ? true : undefined;
    }, 180_000, 50);
    ours = Date.now() - t0;
    gaps = tierGaps(await daemonEvents(d), ids);
  } finally {
    await d.stop();
  }
  await p.podman('rm', '-af', '-t', '0');

  // The baselines: what a hand-written script does. Ungated: one `podman run` after another, in tier
  // order, then wait until every app answers. Gated the same way as the catalog: a tier's `podman
  // run`s one after another, then wait until each of them answers, then the next tier.
  const port = (n: number) => 22000 + n;
  const scriptRun = (id: string, n: number) => p.podman('run', '-d', '--name', `script-${id}`, '--network', NETWORK, '-p', `127.0.0.1:${port(n)}:8080`, WEB);
  const t1 = Date.now();
  for (const [n, id] of ids.entries()) await scriptRun(id, n);
  await until('20 scripted apps answering', async () => ((await allAnswer(ids.map((_, n) => port(n)))) ? true : undefined), 60_000, 50);
  const script = Date.now() - t1;
  await p.podman('rm', '-af', '-t', '0');
  const t2 = Date.now();
  for (let t = 0; t < 4; t++) {
    const tier = ids.map((id, n) => ({ id, n })).filter(({ id }) => id.startsWith(`t${t}a`));
    for (const { id, n } of tier) await scriptRun(id, n);
    await until(`scripted tier ${t} answering`, async () => ((await allAnswer(tier.map(({ n }) => port(n)))) ? true : undefined), 60_000, 50);
  }
  const gated = Date.now() - t2;
  await p.podman('rm', '-af', '-t', '0');
  // The disk while podman creates a catalog: what one durable write costs then (sampled during the
  // floor's run, so the daemon's own figures are not disturbed by the sampler)
  const sampler = fsyncSampler(path.join(data, 'fsync-probe'));
  const floor = await podmanFloor(p, ids);
  const fsyncMs = await sampler.stop();
  await p.podman('rm', '-af', '-t', '0');
  return { ours, script, gated, floor, gaps, firstCreate: gaps.firstAction - t0, fsyncMs };
}

async function daemonEvents(d: Daemon): Promise<Envelope[]> {
  const events: Envelope[] = [];
  for await (const item of controlItems(controlSocketPath(d.data), '/events')) if (item.ok) events.push(item.event);
  return events;
}

/**
 * Where the tiered catalog's time went, from the daemon's own log: per dependent, its dependency's
 * first passing probe (recorded) to the dependent's create being issued (its write-ahead record),
 * which is the engine's reaction; per app, podman's create+start, and its end to the first pass.
 */
function tierGaps(events: readonly Envelope[], ids: readonly string[]): TierGaps {
  const first = (app: string, match: (e: Envelope) => boolean) => events.find((e) => e.app === app && match(e))?.at;
  const issued = (app: string) => first(app, (e) => e.type === 'ActionStarted' && e.data.action.kind === 'create');
  const done = (app: string) => first(app, (e) => e.type === 'ActionSucceeded' && e.data.kind === 'create');
  const passed = (app: string) => first(app, (e) => e.type === 'ProbeOutcomeChanged' && e.data.ok);
  const planned = (app: string) => events.find((e) => e.type === 'PlanDecided' && e.data.actions.some((a) => a.app === app && a.kind === 'create'))?.at;
  const dependency = (id: string) => id.replace(/^t(\d)/, (_, t: string) => `t${Number(t) - 1}`);
  const dependents = ids.filter((id) => !id.startsWith('t0'));
  const gap = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : undefined);
  const known = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  return {
    probeToStart: known(dependents.map((id) => gap(passed(dependency(id)), issued(id)))),
    probeToPlan: known(dependents.map((id) => gap(passed(dependency(id)), planned(id)))),
    createToDone: known(ids.map((id) => gap(issued(id), done(id)))),
    doneToProbe: known(ids.map((id) => gap(done(id), passed(id)))),
    firstAction: Math.min(...ids.map((id) => issued(id) ?? Infinity)),
  };
}

/** A ratio taken in each turn: its median, and the best and worst turn. */
function turnRatios(what: string, xs: readonly number[]): BenchRow {
  const s = [...xs].sort((a, b) => a - b);
  const at = (i: number) => Math.round((s[i] ?? NaN) * 1000) / 1000;
  const mid = s.length % 2 === 1 ? at((s.length - 1) / 2) : Math.round(((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) * 1000) / 1000;
  return { name: `tiers: ${what}, each turn's own (median / best / worst of ${s.length})`, value: mid, unit: `× / ×${at(0)} / ×${at(s.length - 1)}` };
}

/** p50, p99 and max of the samples, and how many there were. */
function spread(xs: readonly number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN, n: s.length };
}


/**
 * The floor of a gated start on this machine: what podman itself takes when driven straight through
 * its API with nothing else in the way. Per tier, every container is created and started at once, and
 * the tier is done when each answers (polled every 10 ms); then the next tier. ms, from the first create.
 */
async function podmanFloor(p: PodmanService, ids: readonly string[]): Promise<number> {
  const port = (n: number) => 24000 + n;
  const t0 = Date.now();
  for (let t = 0; t < 4; t++) {
    const tier = ids.map((id, n) => ({ id, n })).filter(({ id }) => id.startsWith(`t${t}a`));
    await Promise.all(tier.map(async ({ id, n }) => {
      const { Id } = await api<{ Id: string }>(p, 'POST', `/v4.0.0/containers/create?name=floor-${id}`, {
        Image: WEB, ExposedPorts: { '8080/tcp': {} },
        HostConfig: { NetworkMode: NETWORK, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port(n)) }] } },
      });
      await api(p, 'POST', `/v4.0.0/containers/${Id}/start`);
    }));
    await until(`floor tier ${t} answering`, async () => ((await allAnswer(tier.map(({ n }) => port(n)))) ? true : undefined), 60_000, 10);
  }
  return Date.now() - t0;
}

/** One call to podman's API; the parsed JSON answer (or undefined when empty); throws on a status >= 300. */
function api<T = unknown>(p: PodmanService, method: string, urlPath: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: p.socket, method, path: urlPath, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`bench: podman ${method} ${urlPath}: HTTP ${res.statusCode}: ${text.trim()}`));
        else resolve((text ? JSON.parse(text) : undefined) as T);
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * write(4 KiB) + fdatasync every 10 ms in a child process (a loop on this thread would stall the
 * bench's own polling) until stopped; each one's latency, ms.
 */
function fsyncSampler(file: string): { stop(): Promise<number[]> } {
  const loop = `const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'w', 0o600); const buf = Buffer.alloc(4096, 120); const out = [];
    const tick = () => { const t = process.hrtime.bigint(); fs.writeSync(fd, buf, 0, buf.length, 0); fs.fdatasyncSync(fd); out.push(Number(process.hrtime.bigint() - t) / 1e6); };
    const timer = setInterval(tick, 10); process.on('SIGTERM', () => { clearInterval(timer); process.stdout.write(JSON.stringify(out), () => process.exit(0)); });`;
  const child = spawn(process.execPath, ['-e', loop, file], { stdio: ['ignore', 'pipe', 'ignore'], env: unitEnv() });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      try {
        return JSON.parse(text) as number[];
      } catch {
        return [];
      }
    },
  };
}
