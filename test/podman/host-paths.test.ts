// Trust boundary, on real podman: a container that is root inside, with its data folder bound
// read-write, plants links everywhere the daemon (root on the host) will write for it — at a rendered
// file's name, at temporary names, in place of the file's folders, swapped in and out while the daemon
// works, and among the files `data_uid` will chown. Host-fact changes make the daemon re-render again
// and again. No byte may land outside the app, no owner may change outside it, the daemon keeps
// running and says what it refused, and the old container keeps running when a render is refused.
import { chmod, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../../src/daemon/control.js';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { podmanEnv, removeContainers, running, waitFor } from '../support/podman.js';

const PREFIX = `hp${process.pid}`;

const PLANTER = (victim: string) => `
  command:
    - /bin/sh
    - -c
    - |
      trap 'exit 0' TERM
      V=${victim}
      rm -rf /data/locked; ln -s $V /data/locked
      ln -sfn $V/passwd /data/conf/app.conf
      ln -sfn $V/planted-a /data/conf/.app.conf.podledger-tmp
      ln -sfn $V/planted-b /data/conf/app.conf.podledger-tmp
      ln -sfn $V /data/owned-link
      ln -sfn $V/passwd /data/owned-file-link
      touch /data/planted
      while true; do
        mv /data/conf /data/conf.real 2>/dev/null; ln -s $V /data/conf; usleep 1000
        rm -f /data/conf; mv /data/conf.real /data/conf 2>/dev/null; usleep 1000
      done
`;

describe('host paths a container can write, on a real podman', () => {
  let tmp: TempDir;
  let data: string;
  let facts: string;
  let appData: string;
  let victim: string;
  let secrets: string;
  let daemon: Daemon;
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  const failures = async () => (await cli('events', '--type', 'ActionFailed', '--json')).stdout.trim().split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { data: { error: { code: string; message: string } } });

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-host-paths');
    const apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    facts = join(tmp.path, 'facts.json');
    appData = join(tmp.path, 'appdata', 'evil');
    victim = join(tmp.path, 'host', 'victim');
    await mkdir(victim, { recursive: true });
    await writeFile(join(victim, 'passwd'), 'root:x:0:0\n');
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.5', HOST_MDNS: 'node.local' }));
    await writeFile(join(tmp.path, 'policy.yml'), `data_root: ${join(tmp.path, 'appdata')}\n`);
    // an earlier podledger left its data dir world-readable; the secrets folder is too
    await mkdir(data, { mode: 0o755 });
    await chmod(data, 0o755);
    secrets = join(tmp.path, 'secrets');
    await mkdir(secrets, { mode: 0o755 });
    await chmod(secrets, 0o755);
    await writeFile(join(secrets, 'rpc'), 'hunter2\n', { mode: 0o644 });
    await chmod(join(secrets, 'rpc'), 0o644);
    await writeBusyboxApp(apps, PREFIX, 'evil', [
      `  volumes:\n    - { type: bind, source: ${appData}, target: /data }`,
      '  data_uid: "4321:4321"',
      PLANTER(victim),
      'files:',
      `  - { path: ${appData}/conf/app.conf, template: app.conf.tmpl }`,
      `  - { path: ${appData}/locked/x.conf, template: app.conf.tmpl }`,
      `  - { path: ${appData}/rpc.conf, template: rpc.conf.tmpl }`,
      '',
    ].join('\n'));
    await writeFile(join(apps, 'evil', 'app.conf.tmpl'), 'listen {{HOST_IP}}\n');
    await writeFile(join(apps, 'evil', 'rpc.conf.tmpl'), 'password {{secret:rpc}}\n');
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, hostFacts: facts, secrets, extraArgs: ['--policy', join(tmp.path, 'policy.yml')] });
  });

  afterAll(async () => {
    if (daemon) expect(await daemon.stop()).toBe(0);
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a container that planted links, when host-fact changes re-render its files, then nothing outside the app is written or chowned, the render is refused by name, and the old container keeps running', async () => {
    const first = await waitFor(() => running(`${PREFIX}-evil`), { timeoutMs: 90_000, what: 'evil running' });
    await waitFor(async () => (await lstat(join(appData, 'planted')).catch(() => undefined)) !== undefined, { timeoutMs: 20_000, what: 'links planted' });
    expect((await lstat(join(appData, 'locked'))).isSymbolicLink()).toBe(true);

    for (const [i, ip] of ['10.0.0.6', '10.0.0.7', '10.0.0.8'].entries()) {
      await writeFile(facts, JSON.stringify({ HOST_IP: ip, HOST_MDNS: 'node.local' }));
      await waitFor(async () => (await failures()).filter((f) => f.data.error.code === 'unsafe-path').length > i,
        { timeoutMs: 60_000, what: `refusal ${i + 1}` });
    }

    expect((await readdir(victim)).sort()).toEqual(['passwd']);
    expect(await readFile(join(victim, 'passwd'), 'utf8')).toBe('root:x:0:0\n');
    for (const p of [victim, join(victim, 'passwd')]) expect((await stat(p)).uid).toBe(0);
    expect(daemon.exitCode()).toBeNull();
    // which link a render meets first depends on the race with the container's folder swapping, and
    // mid-swap `conf` may be briefly something other than a folder: refused either way
    const named = new RegExp(`^refused host path: ${appData}/(conf/app|locked/x)\\.conf: ${appData}/(conf|locked) (is a symbolic link|is not a folder) \\(a container can write there`);
    for (const f of (await failures()).filter((x) => x.data.error.code === 'unsafe-path')) expect(f.data.error.message).toMatch(named);
    expect(daemon.output()).toContain('refused host path');
    const still = await running(`${PREFIX}-evil`);
    expect(still?.Id).toBe(first.Id);
    // what is the app's own did get data_uid
    expect((await stat(join(appData, 'planted'))).uid).toBe(4321);
  });

  it('given a running daemon, then its data dir, log files, node key and control socket are private, and a readable secrets folder is warned of once', async () => {
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(data)) {
      const s = await lstat(join(data, name));
      expect({ name, others: s.mode & 0o077 }).toEqual({ name, others: 0 });
    }
    expect((await stat(join(data, 'node.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(controlSocketPath(data))).mode & 0o777).toBe(0o600);
    const warnings = (await cli('events', '--type', 'SecurityWarning', '--json')).stdout.trim().split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { data: { code: string; path: string; message: string } });
    expect(warnings.length).toBe(1);
    expect(warnings[0]!.data).toMatchObject({ code: 'secrets-readable', path: secrets });
    expect(warnings[0]!.data.message).toContain(`${secrets} (mode 0755)`);
    expect(warnings[0]!.data.message).toContain(`${join(secrets, 'rpc')} (mode 0644)`);
    expect(daemon.output()).not.toContain('hunter2');
    // a rendered file holding a secret, with no mode in the manifest, is the owner's alone
    expect((await stat(join(appData, 'rpc.conf'))).mode & 0o777).toBe(0o600);
  });
});
