// The daemon over time: secrets rotate without leaking, an idle node's log stays still, removed apps
// lose their container (never their data), and a restarted podman service is reconnected to.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonState, nodeConverged, writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { envOf, inspect, podmanEnv, podmanOk, removeContainers, waitFor, running as runningContainer } from '../support/podman.js';

const PREFIX = `lc${process.pid}`;
const OLD_SECRET = `old-pw-${process.pid}-Zq9`;
const NEW_SECRET = `new-pw-${process.pid}-Xr7`;

describe('daemon lifecycle on a real podman', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  let secrets: string;
  let dataDir: string;
  let daemon: Daemon;
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  const running = (id: string) => runningContainer(`${PREFIX}-${id}`);

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-lifecycle');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    secrets = join(tmp.path, 'secrets');
    dataDir = join(tmp.path, 'appdata', 'keeper');
    await mkdir(secrets, { recursive: true });
    await writeFile(join(secrets, 'rpc-password'), `${OLD_SECRET}\n`);
    await writeBusyboxApp(apps, PREFIX, 'vault', '  secret_env:\n    - { key: RPC_PASSWORD, secret_file: rpc-password }\n');
    await writeBusyboxApp(apps, PREFIX, 'keeper', `  volumes:\n    - { type: bind, source: ${dataDir}, target: /data }\n`);
    await writeFile(join(tmp.path, 'policy.yml'), `data_root: ${join(tmp.path, 'appdata')}\n`);
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, secrets, extraArgs: ['--resync', '1', '--policy', join(tmp.path, 'policy.yml')] });
    await waitFor(async () => (await running('vault')) && (await running('keeper')), { timeoutMs: 60_000, what: 'both apps running' });
  });

  afterAll(async () => {
    if (daemon) expect(await daemon.stop()).toBe(0);
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a converged node, when it idles through several resyncs, then its log does not grow', async () => {
    await waitFor(() => nodeConverged(data), { timeoutMs: 20_000, what: 'a converged node' });
    const before = (await daemonState(data)).seq;
    await new Promise((r) => setTimeout(r, 3_500)); // --resync 1: three full resyncs
    expect((await daemonState(data)).seq).toBe(before);
  });

  it('given a secret in use, when it rotates, then the app is recreated with it and no value ever reaches log, export, output or labels', async () => {
    const before = (await running('vault'))!;
    expect(envOf(before).RPC_PASSWORD).toBe(OLD_SECRET);
    await writeFile(join(secrets, 'rpc-password'), `${NEW_SECRET}\n`);

    const after = await waitFor(async () => {
      const c = await running('vault');
      return c && envOf(c).RPC_PASSWORD === NEW_SECRET ? c : undefined;
    }, { timeoutMs: 30_000, what: 'vault recreated with the rotated secret' });
    expect(after.Id).not.toBe(before.Id);
    const why = (await cli('why', 'vault')).stdout;
    expect(why).toContain('spec-changed secretEnv.RPC_PASSWORD (secret changed) → (secret changed)');

    const exported = (await cli('export')).stdout;
    const leaks = [exported, (await cli('events', '--json')).stdout, why, daemon.output(), JSON.stringify(after.Config.Labels ?? {})];
    for (const text of leaks) {
      expect(text).not.toContain(OLD_SECRET);
      expect(text).not.toContain(NEW_SECRET);
    }
  });

  it('given a running app, when its manifest folder is removed, then its container is removed and its data kept', async () => {
    await writeFile(join(dataDir, 'wallet.dat'), 'precious');
    await rm(join(apps, 'keeper'), { recursive: true });

    await waitFor(async () => !(await inspect(`${PREFIX}-keeper`)), { timeoutMs: 30_000, what: 'keeper container removed' });
    expect(await readFile(join(dataDir, 'wallet.dat'), 'utf8')).toBe('precious');
    const why = (await cli('why', 'keeper')).stdout;
    expect(why).toMatch(/remove keeper/);
    expect(why).toMatch(/app-removed/);
    expect(why).toMatch(/ManifestRemoved keeper/);
  });

  it('given podman restarts under the daemon, when a container is then killed, then the daemon has reconnected and restarts it', async () => {
    const env = podmanEnv();
    const pidFile = join(env.dir, 'service.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    await daemon.waitForOutput('podman event stream lost', { timeoutMs: 15_000 });

    const logFd = openSync(env.log, 'a');
    const service = spawn('podman', [...env.args, 'system', 'service', '--time=0', `unix://${env.socket}`], {
      detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, CONTAINERS_CONF: env.containersConf },
    });
    closeSync(logFd);
    service.unref();
    await writeFile(pidFile, String(service.pid)); // the run's teardown stops this one instead
    await daemon.waitForOutput('podman event stream reconnected', { timeoutMs: 30_000 });

    const before = (await running('vault'))!.Id;
    await podmanOk(['kill', `${PREFIX}-vault`]);
    const after = await waitFor(async () => running('vault'), { timeoutMs: 30_000, what: 'vault running again after the podman restart' });
    expect(after.Id).toBe(before);
    expect((await cli('why', 'vault')).stdout).toMatch(/start vault[\s\S]*container-exited/);
  });
});
