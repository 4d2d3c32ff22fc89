// Benchmarks against a real (isolated) podman: restart after a kill next to podman's own
// --restart=always, a 20-app tiered catalog from empty to healthy next to a sequential `podman run`
// script and next to `podman-compose up -d` of the same catalog (when podman-compose is installed),
// and an idle daemon's CPU, memory and log growth. Baselines run in the same process.
import { execFile, spawn } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { State } from '../core/state.js';
import type { Envelope } from '../core/events.js';
import { controlGet, controlGetJson, controlItems, controlSocketPath } from '../daemon/control.js';
import { startPodman, type PodmanService } from './podman-service.js';
import { startDaemon, type Daemon } from './podman-daemon.js';
import type { BenchRow } from './types.js';

const SLEEPER = 'localhost/bench/sleeper:1';
const WEB = 'localhost/bench/web:1';
const TRAP = "trap 'exit 0' TERM;";

function get<T>(socketPath: string, urlPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath, path: urlPath }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${urlPath}: HTTP ${res.statusCode}`))));
    }).on('error', reject);
  });
}

const daemonState = (d: Daemon) => controlGetJson<{ state: State }>(controlSocketPath(d.data), '/state').then((r) => r.state);
const inspect = (p: PodmanService, name: string) =>
  get<{ State: { Running: boolean; Pid: number; StartedAt: string; FinishedAt: string } }>(p.socket, `/v4.0.0/libpod/containers/${name}/json`);

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function manifest(apps: string, id: string, body: string): Promise<void> {
  await mkdir(path.join(apps, id), { recursive: true });
  await writeFile(path.join(apps, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }\ncontainer:\n  pull_policy: never\n  network: bench-net\n  stop_timeout: 2\n${body}`);
}

/** A crashed container's way back: podman's own timestamps, from its death to its next start. */
async function restartLatency(p: PodmanService, name: string): Promise<number> {
  const before = await inspect(p, name);
  // a crash, not a user's stop: the main process is killed from the host (podman does not restart a
  // container that `podman kill` stopped)
  process.kill(before.State.Pid, 'SIGKILL');
  const after = await until(`${name} running again`, async () => {
    const i = await inspect(p, name);
    return i.State.Running && i.State.StartedAt !== before.State.StartedAt ? i : undefined;
  }, 30_000, 20);
  return Date.parse(after.State.StartedAt) - Date.parse(after.State.FinishedAt);
}

async function killed(p: PodmanService, root: string): Promise<BenchRow[]> {
  const apps = path.join(root, 'kill-apps');
  for (let i = 0; i < 3; i++) await manifest(apps, `k${i}`, `  image: ${SLEEPER}\n  name: bench-k${i}\n`);
  const d = await startDaemon(p, apps, path.join(root, 'kill-data'));
  try {
    for (let i = 0; i < 3; i++) await until(`bench-k${i}`, async () => ((await inspect(p, `bench-k${i}`)).State.Running ? true : undefined));
    const ours: number[] = [];
    for (let i = 0; i < 3; i++) ours.push(await restartLatency(p, `bench-k${i}`));
    const theirs: number[] = [];
    for (let i = 0; i < 3; i++) {
      await p.podman('run', '-d', '--name', `bench-r${i}`, '--restart=always', SLEEPER);
      theirs.push(await restartLatency(p, `bench-r${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return [{
      name: 'container killed → running again (median of 3, first kill after a stable run: restarted at once; goal ≤ ×1.2)', value: median(ours), unit: 'ms',
      baseline: { name: "podman's own --restart=always", value: median(theirs) }, ratio: median(ours) / Math.max(1, median(theirs)),
    }];
  } finally {
    await d.stop();
  }
}

/** 20 web apps in 4 tiers, each tier depending on the previous one being healthy. */
async function tiers(p: PodmanService, root: string): Promise<BenchRow[]> {
  const apps = path.join(root, 'tier-apps');
  const ids: string[] = [];
  for (let t = 0; t < 4; t++) {
    for (let i = 0; i < 5; i++) {
      const id = `t${t}a${i}`;
      ids.push(id);
      const dep = t > 0 ? `dependencies: [{ app: t${t - 1}a${i}, condition: healthy }]\n` : '';
      await manifest(apps, id, `  image: ${WEB}\n  name: bench-${id}\n  ports: [{ host: ${21000 + t * 10 + i}, container: 8080, host_ip: 127.0.0.1 }]\n  health_check: { type: http, port: 8080, interval: 1s, timeout: 1s }\n${dep}`);
    }
  }
  const t0 = Date.now();
  const d = await startDaemon(p, apps, path.join(root, 'tier-data'));
  let ours: number;
  let gaps: TierGaps;
  try {
    await until('20 apps healthy', async () => {
      const s = await daemonState(d);
      return ids.every((id) => s.containers[id]?.health?.status === 'healthy') ? true : undefined;
    }, 180_000, 100);
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
  const scriptRun = (id: string, n: number) => p.podman('run', '-d', '--name', `script-${id}`, '--network', 'bench-net', '-p', `127.0.0.1:${port(n)}:8080`, WEB);
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
  const name = '20 apps in 4 health-gated tiers: empty → all running and healthy';
  const rows: BenchRow[] = [
    { name: `${name} (goal ≤ ×0.7)`, value: ours, unit: 'ms', baseline: { name: 'script gating the same way (a tier\'s podman runs, wait until each answers, next tier)', value: gated }, ratio: ours / gated },
    { name: `${name} (goal ≤ ×1.0)`, value: ours, unit: 'ms', baseline: { name: 'sequential podman run script (no gating), until all answer', value: script }, ratio: ours / script },
    { name: 'tiers: dependency\'s first passing probe → dependent\'s start issued (p50 / p99 / max of 15; goal p99 ≤ 50 ms)', value: gaps.probeToStart.p50, unit: `ms / ${gaps.probeToStart.p99} ms / ${gaps.probeToStart.max} ms` },
    { name: 'tiers: of which first passing probe → plan with the dependent\'s create recorded (p50 / p99 / max of 15)', value: gaps.probeToPlan.p50, unit: `ms / ${gaps.probeToPlan.p99} ms / ${gaps.probeToPlan.max} ms` },
    { name: 'tiers: create+start issued → done, podman\'s part (p50 / max of 20)', value: gaps.createToDone.p50, unit: `ms / ${gaps.createToDone.max} ms` },
    { name: 'tiers: create+start done → first passing probe (p50 / max of 20)', value: gaps.doneToProbe.p50, unit: `ms / ${gaps.doneToProbe.max} ms` },
    { name: 'tiers: daemon start → first create issued', value: gaps.firstAction - t0, unit: 'ms' },
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

interface Spread { p50: number; p99: number; max: number }
interface TierGaps { probeToStart: Spread; probeToPlan: Spread; createToDone: Spread; doneToProbe: Spread; firstAction: number }

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
  const spread = (xs: (number | undefined)[]): Spread => {
    const s = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
    return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
  };
  const gap = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : undefined);
  return {
    probeToStart: spread(dependents.map((id) => gap(passed(dependency(id)), issued(id)))),
    probeToPlan: spread(dependents.map((id) => gap(passed(dependency(id)), planned(id)))),
    createToDone: spread(ids.map((id) => gap(issued(id), done(id)))),
    doneToProbe: spread(ids.map((id) => gap(done(id), passed(id)))),
    firstAction: Math.min(...ids.map((id) => issued(id) ?? Infinity)),
  };
}

/** `podman-compose` to run ($BENCH_PODMAN_COMPOSE, else the first on PATH) and its version, or why there is none. */
async function findCompose(): Promise<{ path: string; version: string } | { skip: string }> {
  const install = 'apt-get install podman-compose (scripts/setup.sh installs it)';
  const candidates = process.env.BENCH_PODMAN_COMPOSE
    ? [process.env.BENCH_PODMAN_COMPOSE]
    : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => path.join(d, 'podman-compose'));
  let found: string | undefined;
  for (const c of candidates) {
    if (await access(c, constants.X_OK).then(() => true, () => false)) { found = c; break; }
  }
  if (!found) {
    const where = process.env.BENCH_PODMAN_COMPOSE ? `$BENCH_PODMAN_COMPOSE (${process.env.BENCH_PODMAN_COMPOSE}) is not an executable file` : 'podman-compose is not on PATH';
    return { skip: `${where}; ${install}` };
  }
  try {
    // 1.0.3 prints `podman-composer version  1.0.3` (after asking `podman --version`)
    const { stdout } = await promisify(execFile)(found, ['--version'], { timeout: 30_000 });
    const version = /version\s+(\d[\w.+~-]*)/.exec(stdout.split('\n').find((l) => l.includes('compose')) ?? '')?.[1];
    return { path: found, version: version ?? '(version unknown)' };
  } catch (err) {
    return { skip: `${found} --version failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); ${install}` };
  }
}

/**
 * `podman-compose up -d` of the tiered catalog against the bench's own podman store; ms until every
 * app answers (the script baseline's criterion, polled while the command runs) and until it returned.
 *
 * What podman-compose 1.0.3 does with this file (read from its source, podman_compose.py): it keeps
 * only the names in `depends_on` (a mapping's conditions are dropped) and uses them to order the
 * services by how many (transitive) dependencies each has; then it runs one `podman run -d` per
 * service in that order, sleeping 1 s after each podman command, and never waits for a dependency
 * to be healthy. The healthcheck is passed on as podman's `--healthcheck-*` flags.
 */
async function composeUp(p: PodmanService, root: string, compose: string, ids: string[]): Promise<{ answering: number; returned: number }> {
  const dir = path.join(root, 'compose');
  await mkdir(dir, { recursive: true });
  // podman-compose shells out to `podman`: a wrapper puts this store's global flags first (its own
  // --podman-args would place them after the subcommand); CONTAINERS_CONF comes from p.env.
  const wrapper = path.join(dir, 'podman');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await writeFile(wrapper, `#!/bin/sh\nexec podman ${p.globalArgs.map(quote).join(' ')} "$@"\n`);
  await chmod(wrapper, 0o755);
  const ports = ids.map((_, n) => 23000 + n);
  const services: Record<string, unknown> = {};
  for (const [n, id] of ids.entries()) {
    const [, t, i] = /^t(\d+)a(\d+)$/.exec(id)!;
    services[id] = {
      image: WEB,
      container_name: `bench-compose-${id}`,
      networks: ['bench-net'],
      ports: [`127.0.0.1:${ports[n]}:8080`],
      // podledger probes GET / on 8080 every 1 s with a 1 s timeout; the same, from inside
      healthcheck: { test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/'], interval: '1s', timeout: '1s' },
      ...(Number(t) > 0 ? { depends_on: { [`t${Number(t) - 1}a${i}`]: { condition: 'service_healthy' } } } : {}),
    };
  }
  const file = path.join(dir, 'compose.yml');
  await writeFile(file, stringify({ services, networks: { 'bench-net': { external: true } } }));
  if (await anyAnswers(ports)) throw new Error(`a port in 127.0.0.1:${ports[0]}-${ports.at(-1)} already answers before podman-compose ran`);

  const logFile = path.join(dir, 'podman-compose.log');
  const log = openSync(logFile, 'w');
  const t0 = Date.now();
  let returned: number | undefined;
  let exit: number | string | null | undefined;
  const proc = spawn(compose, ['--podman-path', wrapper, '-p', 'benchcompose', '-f', file, 'up', '-d'], { cwd: dir, env: p.env, stdio: ['ignore', log, log] });
  const done = new Promise<void>((resolve) => {
    proc.once('error', (err) => { exit = err.message; returned = Date.now() - t0; resolve(); });
    proc.once('exit', (code, signal) => { exit = code ?? signal; returned = Date.now() - t0; resolve(); });
  });
  closeSync(log);
  const tail = async () => (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
  try {
    // the script baseline's wait, but ended early when podman-compose fails
    const deadline = t0 + 180_000;
    while (!(await allAnswer(ports))) {
      if (returned !== undefined && exit !== 0) throw new Error(`podman-compose up -d exited with ${String(exit)}:\n${await tail()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for 20 podman-compose apps answering:\n${await tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const answering = Date.now() - t0;
    await done;
    if (exit !== 0) throw new Error(`podman-compose up -d exited with ${String(exit)} after all apps answered:\n${await tail()}`);
    return { answering, returned: returned! };
  } finally {
    if (returned === undefined) proc.kill('SIGTERM');
    await done;
  }
}

const allAnswer = async (ports: number[]) => (await Promise.all(ports.map(answers))).every(Boolean);
const anyAnswers = async (ports: number[]) => (await Promise.all(ports.map(answers))).some(Boolean);

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => { res.resume(); resolve((res.statusCode ?? 500) < 400); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** An idle, converged daemon with 30 apps: CPU share, memory, and events appended. */
async function idle(p: PodmanService, root: string, seconds: number): Promise<BenchRow[]> {
  const apps = path.join(root, 'idle-apps');
  for (let i = 0; i < 30; i++) await manifest(apps, `i${i}`, `  image: ${SLEEPER}\n  name: bench-i${i}\n`);
  const d = await startDaemon(p, apps, path.join(root, 'idle-data'));
  try {
    await until('30 apps running', async () => {
      const s = await daemonState(d);
      return Object.values(s.containers).filter((c) => c.status === 'running').length === 30 ? s : undefined;
    }, 180_000, 200);
    await new Promise((r) => setTimeout(r, 3_000)); // settle: the last plan recorded, probes quiet
    const seq0 = (await daemonState(d)).seq;
    const cpu0 = await cpuTicks(d.proc.pid!);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu1 = await cpuTicks(d.proc.pid!);
    const seq1 = (await daemonState(d)).seq;
    const rss = await rssMb(d.proc.pid!);
    const mem = await memoryBreakdown(d);
    return [
      { name: `idle daemon, 30 apps, ${seconds} s: CPU`, value: Math.round(((cpu1 - cpu0) / 100 / seconds) * 10000) / 100, unit: '% of a core' },
      { name: `idle daemon, 30 apps, ${seconds} s: RSS (node flags: ${d.nodeFlags.join(' ') || 'none'})`, value: rss, unit: 'MB' },
      { name: `idle daemon, 30 apps, ${seconds} s: events appended`, value: seq1 - seq0, unit: 'events' },
      { name: `idle daemon, 30 apps: V8 heap used / heap committed / external (RSS less both: code, stacks, native)`, value: mem.heapUsed, unit: `MB / ${mem.heapTotal} MB / ${mem.external} MB (${rss - mem.heapTotal - mem.external} MB)` },
    ];
  } finally {
    await d.stop();
  }
}

/** The daemon's own memory figures, from its /metrics (prom-client's default process metrics), in MB. */
async function memoryBreakdown(d: Daemon): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
  const res = await controlGet(controlSocketPath(d.data), '/metrics');
  let text = '';
  for await (const chunk of res) text += String(chunk);
  const metric = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return { heapUsed: metric('nodejs_heap_size_used_bytes'), heapTotal: metric('nodejs_heap_size_total_bytes'), external: metric('nodejs_external_memory_bytes') };
}

async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
}

async function rssMb(pid: number): Promise<number> {
  const line = (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(/\d+/.exec(line ?? '')?.[0] ?? 0) / 1024);
}

export async function benchPodman(): Promise<BenchRow[]> {
  const p = await startPodman();
  try {
    await writeFile(path.join(p.dir, 'policy.yml'), 'allow: {}\n');
    await p.podman('network', 'create', 'bench-net');
    await p.busybox(SLEEPER, [`CMD ["/bin/sh","-c","${TRAP} while true; do sleep 1; done"]`]);
    await p.busybox(WEB, ['COPY www /www', `CMD ["/bin/sh","-c","${TRAP} httpd -f -p 8080 -h /www & wait"]`], { 'www/index.html': 'ok\n' });
    const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
    // BENCH_PODMAN=killed,tiers,idle runs only those parts (all by default)
    const only = new Set((process.env.BENCH_PODMAN ?? 'killed,tiers,idle').split(','));
    const rows: BenchRow[] = [];
    if (only.has('killed')) rows.push(...(await killed(p, p.dir)));
    if (only.has('tiers')) rows.push(...(await tiers(p, p.dir)));
    if (only.has('idle')) rows.push(...(await idle(p, p.dir, idleSeconds)));
    return rows;
  } finally {
    await p.stop();
  }
}
