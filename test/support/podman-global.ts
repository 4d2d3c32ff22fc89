// Global setup of the `podman` test project: one podman API service for the whole run, in a store of
// its own under a temp dir, so tests never see (or touch) the machine's containers, images,
// networks or podman events.
//
// What stays shared on a rootful host whatever we do: netavark's run dir (/run/containers/networks:
// IPAM database and aardvark-dns config, keyed by NETWORK NAME) and the bridge interfaces. So tests
// must name their networks uniquely (see `uniqueName` in ./podman.ts), never reuse a name like
// `podledger-demo` that the demo may be using on the same machine.
//
// Tests read the service through `inject('podman')` (typed below) or the environment:
//   PODLEDGER_TEST_SOCKET           unix socket of the service
//   PODLEDGER_TEST_PODMAN_ARGS      podman's global flags selecting the store, space-separated
//   PODLEDGER_TEST_CONTAINERS_CONF  the containers.conf to run podman with
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export interface PodmanTestEnv {
  /** unix socket of the isolated service (Docker-compatible and libpod API) */
  socket: string;
  /** podman's global flags that select the isolated store: pass them before every podman command */
  args: string[];
  /** containers.conf to run podman with (CONTAINERS_CONF) */
  containersConf: string;
  /** the temp dir holding store, socket, conf and the service log */
  dir: string;
  /** the service's log file */
  log: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    podman: PodmanTestEnv;
  }
}

const DIR_PREFIX = 'podledger-podman-test-';
const PING_TIMEOUT_MS = 30_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const version = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(
      `podman is not installed or does not run (${version.error?.message ?? version.stderr.trim()}): ` +
        'the podman tests need it. Run `npm test`, which installs it (scripts/setup.sh, as root).',
    );
  }

  await sweepStaleRuns();

  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  if (/\s/.test(dir)) throw new Error(`temp dir ${dir} contains whitespace; set TMPDIR to a plain path`);
  const paths = {
    root: join(dir, 'root'),
    runroot: join(dir, 'runroot'),
    tmp: join(dir, 'tmp'),
    networks: join(dir, 'networks'),
  };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  const socket = join(dir, 'podman.sock');
  const log = join(dir, 'service.log');
  const containersConf = join(dir, 'containers.conf');
  writeFileSync(
    containersConf,
    [
      '# podledger test run: runc (crun fails on hybrid cgroups), ulimits below the hard limits,',
      '# and a tmp dir (events log, exit files) and network config dir of its own.',
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      'runtime = "runc"',
      `tmp_dir = "${paths.tmp}"`,
      '[network]',
      `network_config_dir = "${paths.networks}"`,
      '',
    ].join('\n'),
  );
  const args = [
    '--root', paths.root,
    '--runroot', paths.runroot,
    '--tmpdir', paths.tmp,
    '--network-config-dir', paths.networks,
  ];
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));

  const logFd = openSync(log, 'a');
  const service = spawn('podman', [...args, 'system', 'service', '--time=0', `unix://${socket}`], {
    detached: true, // its own process group, so teardown can signal it and anything it left behind
    // conmon (2.1, under podman 4.3) writes its `oom` marker into its working dir: keep it in ours, not the repo
    cwd: dir,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, CONTAINERS_CONF: containersConf },
  });
  closeSync(logFd);
  service.unref();
  if (service.pid === undefined) throw new Error(`could not start podman system service (see ${log})`);
  writeFileSync(join(dir, 'service.pid'), String(service.pid));
  let exited: string | undefined;
  service.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));

  const env: PodmanTestEnv = { socket, args, containersConf, dir, log };
  // A test may restart the service (fault tests); it then records the new pid in service.pid.
  const teardown = () => cleanupRun(dir, env.args, containersConf, readPid(join(dir, 'service.pid')) ?? service.pid);

  try {
    const deadline = Date.now() + PING_TIMEOUT_MS;
    while (!(await ping(socket))) {
      if (exited) throw new Error(`podman system service ${exited} before answering on ${socket}:\n${tail(log)}`);
      if (Date.now() > deadline) {
        throw new Error(`podman system service did not answer GET /_ping on ${socket} within ${PING_TIMEOUT_MS / 1000} s:\n${tail(log)}`);
      }
      await sleep(100);
    }
  } catch (err) {
    await teardown();
    throw err;
  }

  project.provide('podman', env);
  process.env.PODLEDGER_TEST_SOCKET = socket;
  process.env.PODLEDGER_TEST_PODMAN_ARGS = args.join(' ');
  process.env.PODLEDGER_TEST_CONTAINERS_CONF = containersConf;
  return teardown;
}

/** Remove every container of the run, stop the service and anything left of it, delete the dir. */
async function cleanupRun(dir: string, args: string[], containersConf: string, servicePid: number | undefined): Promise<void> {
  const problems: string[] = [];
  const podman = (...a: string[]) => {
    const r = spawnSync('podman', [...args, ...a], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CONTAINERS_CONF: containersConf },
    });
    if (r.status !== 0) problems.push(`podman ${a.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  };
  if (existsSync(join(dir, 'root'))) {
    podman('pod', 'rm', '-af', '-t', '0');
    podman('rm', '-af', '-t', '0');
    podman('network', 'prune', '-f');
  }

  if (servicePid !== undefined) {
    signalGroup(servicePid, 'SIGTERM');
    if (!(await waitGone([servicePid], 10_000))) {
      signalGroup(servicePid, 'SIGKILL');
      await waitGone([servicePid], 5_000);
    }
  }

  // conmon and container processes of this run name the dir on their command line.
  const leftovers = processesMentioning(dir);
  if (leftovers.length > 0) {
    problems.push(`killed leftover processes: ${leftovers.map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`).join('; ')}`);
    for (const p of leftovers) signal(p.pid, 'SIGKILL');
    await waitGone(leftovers.map((p) => p.pid), 5_000);
  }

  for (const mountpoint of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', mountpoint]);
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    problems.push(`could not remove ${dir}: ${(err as Error).message}`);
  }
  if (problems.length > 0) console.warn(`podman test teardown:\n  ${problems.join('\n  ')}`);
}

/** Runs interrupted before their teardown leave a dir behind; clean those whose owner is gone. */
async function sweepStaleRuns(): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(tmpdir(), entry);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner !== undefined && alive(owner)) continue; // another run in progress
    const service = readPid(join(dir, 'service.pid'));
    const servicePid = service !== undefined && processesMentioning(dir).some((p) => p.pid === service) ? service : undefined;
    const args = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'), '--network-config-dir', join(dir, 'networks')];
    await cleanupRun(dir, args, join(dir, 'containers.conf'), servicePid);
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function processesMentioning(text: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text)) found.push({ pid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function mountsUnder(dir: string): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((mp): mp is string => mp !== undefined && (mp === dir || mp.startsWith(`${dir}/`)));
  } catch {
    return [];
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is not alive for our purposes.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    signal(pid, sig);
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
