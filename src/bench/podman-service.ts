// An isolated podman API service for benchmarks: its own store, socket, events log and network
// config under a temp dir, removed afterwards. (The test suite has its own, with more housekeeping.)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PodmanService {
  dir: string;
  socket: string;
  env: NodeJS.ProcessEnv;
  /** podman's global flags that select this store (`podman ...globalArgs CMD`); use with `env` */
  globalArgs: string[];
  /** `podman <args>` against this store */
  podman(...args: string[]): Promise<string>;
  /** build a busybox image tagged `tag`, with extra Containerfile lines */
  busybox(tag: string, lines: string[], files?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startPodman(): Promise<PodmanService> {
  const dir = await mkdtemp(path.join(tmpdir(), 'podledger-bench-podman-'));
  const sub = (name: string) => path.join(dir, name);
  for (const d of ['root', 'runroot', 'tmp', 'networks']) await mkdir(sub(d), { recursive: true });
  const conf = sub('containers.conf');
  await writeFile(conf, `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ntmp_dir = "${sub('tmp')}"\n[network]\nnetwork_config_dir = "${sub('networks')}"\n`);
  const global = ['--root', sub('root'), '--runroot', sub('runroot'), '--tmpdir', sub('tmp'), '--network-config-dir', sub('networks')];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const socket = sub('podman.sock');
  const service: ChildProcess = spawn('podman', [...global, 'system', 'service', '--time=0', `unix://${socket}`], { env, stdio: 'ignore', detached: true });
  const deadline = Date.now() + 30_000;
  while (!(await ping(socket))) {
    if (Date.now() > deadline) throw new Error(`bench: podman service did not answer on ${socket}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const podman = async (...args: string[]) => (await run('podman', [...global, ...args], { env, maxBuffer: 64 << 20 })).stdout;
  return {
    dir, socket, env, podman, globalArgs: global,
    async busybox(tag, lines, files = {}) {
      const ctx = sub(`ctx-${tag.replace(/[^a-z0-9]/gi, '-')}`);
      await mkdir(ctx, { recursive: true });
      await copyFile('/bin/busybox', path.join(ctx, 'busybox'));
      for (const [name, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(ctx, name)), { recursive: true });
        await writeFile(path.join(ctx, name), text);
      }
      await writeFile(path.join(ctx, 'Containerfile'), ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox","--install","-s","/bin"]', ...lines, ''].join('\n'));
      await podman('build', '-q', '-t', tag, ctx);
    },
    async stop() {
      await podman('rm', '-af', '-t', '0').catch(() => undefined);
      await podman('network', 'prune', '-f').catch(() => undefined);
      if (service.pid) try { process.kill(-service.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 500));
      await run('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
