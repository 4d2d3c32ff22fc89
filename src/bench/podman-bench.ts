// Benchmarks against a real (isolated) podman: restart after a kill next to podman's own
// --restart=always, the tiered catalog (podman-tiers.ts), and an idle daemon's CPU, memory and log
// growth. Baselines run in the same process.
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { State } from '../core/state.js';
import { controlGet, controlGetJson, controlSocketPath } from '../daemon/control.js';
import { startPodman, type PodmanService } from './podman-service.js';
import { startDaemon, type Daemon } from './podman-daemon.js';
import { tiers } from './podman-tiers.js';
import { manifest, median, NETWORK, SLEEPER, TRAP, until, WEB } from './podman-util.js';
import type { BenchRow } from './types.js';

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
    return [{
      name: 'container killed → running again (median of 3, first kill after a stable run: restarted at once; goal ≤ ×1.2)', value: median(ours), unit: 'ms',
      baseline: { name: "podman's own --restart=always", value: median(theirs) }, ratio: median(ours) / Math.max(1, median(theirs)),
    }];
  } finally {
    await d.stop();
  }
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
    await p.podman('network', 'create', NETWORK);
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
