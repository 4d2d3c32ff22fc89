// The tiered catalog under `podman-compose up -d`: a second baseline for the tiers bench, when
// podman-compose is installed.
import { execFile, spawn } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { PodmanService } from './podman-service.js';
import { allAnswer, anyAnswers, NETWORK, WEB } from './podman-util.js';

/** `podman-compose` to run ($BENCH_PODMAN_COMPOSE, else the first on PATH) and its version, or why there is none. */
export async function findCompose(): Promise<{ path: string; version: string } | { skip: string }> {
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
export async function composeUp(p: PodmanService, root: string, compose: string, ids: string[]): Promise<{ answering: number; returned: number }> {
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
      networks: [NETWORK],
      ports: [`127.0.0.1:${ports[n]}:8080`],
      // podledger probes GET / on 8080 every 1 s with a 1 s timeout; the same, from inside
      healthcheck: { test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/'], interval: '1s', timeout: '1s' },
      ...(Number(t) > 0 ? { depends_on: { [`t${Number(t) - 1}a${i}`]: { condition: 'service_healthy' } } } : {}),
    };
  }
  const file = path.join(dir, 'compose.yml');
  await writeFile(file, stringify({ services, networks: { [NETWORK]: { external: true } } }));
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
