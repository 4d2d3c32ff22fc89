// Every manifest field that reaches podman, checked on the container podman actually created; data_uid
// on the host; rendered files written atomically, skipped when unchanged, and a change restarting
// only the app that renders them.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { envOf, podmanEnv, podmanOk, removeContainers, waitFor, running as runningContainer } from '../support/podman.js';

const PREFIX = `fx${process.pid}`;
const PORT = 20000 + (process.pid % 20000);
const SECRET = `s3cr3t-${process.pid}`;

describe('manifest fields on a real podman', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  let facts: string;
  let appData: string;
  let daemon: Daemon;
  const running = (id: string) => runningContainer(`${PREFIX}-${id}`);

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-fields');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    facts = join(tmp.path, 'facts.json');
    appData = join(tmp.path, 'appdata');
    const secrets = join(tmp.path, 'secrets');
    await mkdir(secrets, { recursive: true });
    await writeFile(join(secrets, 'pw'), SECRET);
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.5', HOST_MDNS: 'one.local' }));
    await writeFile(join(tmp.path, 'policy.yml'), `data_root: ${appData}\nallow:\n  full: [cap-add, devices]\n`);
    await writeBusyboxApp(apps, PREFIX, 'full', `  hostname: fullhost
  entrypoint: [/bin/sh, -c]
  command: ["trap 'exit 0' TERM; while true; do sleep 1; done", argv0]
  custom_args: [extra-arg]
  user: "1000:1000"
  data_uid: "1000:1000"
  ports: [{ host: ${PORT}, container: 8080, host_ip: 127.0.0.1 }]
  volumes:
    - { type: bind, source: ${appData}/full/conf, target: /conf, read_only: true }
    - { type: volume, source: ${PREFIX}-vol, target: /vol }
    - { type: tmpfs, target: /scratch, size: 1m, mode: "1777" }
    - { type: tmpfs, target: /run/app, mode: "700" }
  environment: { PLAIN: "yes" }
  derived_env: [{ key: NODE_URL, template: "http://{{HOST_IP}}:${PORT}" }]
  secret_env: [{ key: PASSWORD, secret_file: pw }]
  devices: [/dev/null:/dev/mynull]
  health_check: { type: exec, command: [/bin/true], interval: 10s, timeout: 2s, retries: 2, start_period: 5s }
  resources: { memory: 64m, cpus: 0.5 }
  security: { cap_add: [NET_ADMIN], cap_drop: [NET_RAW], read_only_root: true, no_new_privileges: true }
files:
  - { path: ${appData}/full/conf/app.conf, template: app.conf.tmpl, mode: "0640" }
`);
    await writeFile(join(apps, 'full', 'app.conf.tmpl'), 'name={{HOST_MDNS}}\npassword={{secret:pw}}\n');
    await writeBusyboxApp(apps, PREFIX, 'bystander');
    // --resync 1: the inventory compares the containers with their specs every second (drift).
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, hostFacts: facts, secrets, extraArgs: ['--policy', join(tmp.path, 'policy.yml'), '--resync', '1'] });
    await waitFor(async () => (await running('full')) && (await running('bystander')), { timeoutMs: 60_000, what: 'both apps running' });
  });

  afterAll(async () => {
    if (daemon) expect(await daemon.stop()).toBe(0);
    await removeContainers(`${PREFIX}-`);
    await podmanOk(['volume', 'rm', '-f', `${PREFIX}-vol`]).catch(() => undefined);
    await tmp?.cleanup();
  });

  it('given a manifest using every field, when created, then podman shows each on the container', async () => {
    const c = (await running('full'))! as unknown as InspectShape;
    expect(c.Config.Hostname).toBe('fullhost');
    expect(c.Config.Entrypoint).toBe('/bin/sh -c');
    expect(c.Config.Cmd).toEqual(["trap 'exit 0' TERM; while true; do sleep 1; done", 'argv0', 'extra-arg']);
    expect(c.Config.User).toBe('1000:1000');
    expect(envOf(c as never)).toMatchObject({ PLAIN: 'yes', NODE_URL: `http://10.0.0.5:${PORT}`, PASSWORD: SECRET });
    expect(c.HostConfig.PortBindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(PORT) }]);
    expect(c.Mounts.map((m) => [m.Type, m.Destination, m.RW])).toEqual(expect.arrayContaining([
      ['bind', '/conf', false], ['volume', '/vol', true],
    ]));
    expect(c.Mounts.find((m) => m.Type === 'volume')?.Name).toBe(`${PREFIX}-vol`);
    expect(c.HostConfig.Tmpfs['/scratch']).toMatch(/^size=1048576,mode=1777/);
    expect(c.HostConfig.Tmpfs['/run/app']).toMatch(/^mode=700,/); // no size=0 (an unlimited tmpfs)
    // Sent as HostConfig.Mounts: podman records them as it did the `src:dst:ro` Binds strings before.
    expect(c.HostConfig.Binds).toEqual(expect.arrayContaining([`${appData}/full/conf:/conf:ro,rprivate,rbind`, `${PREFIX}-vol:/vol:rw,rprivate,nosuid,nodev,rbind`]));
    expect(c.HostConfig.CapAdd).toEqual(['CAP_NET_ADMIN']);
    expect(c.HostConfig.CapDrop).toEqual(['CAP_NET_RAW']);
    expect(c.HostConfig.ReadonlyRootfs).toBe(true);
    expect(c.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(c.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(c.HostConfig.NanoCpus).toBe(500_000_000);
    expect(c.HostConfig.Devices).toEqual([expect.objectContaining({ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull' })]);
    expect(c.Config.Healthcheck?.Test).toEqual(['CMD', '/bin/true']);
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual([`${PREFIX}-net`]);
    expect(c.HostConfig.RestartPolicy.Name).toBe('no'); // the engine owns restarts
  });

  it('given the containers as podman made them, when the inventory compares them with their specs, then no drift is recorded', async () => {
    await new Promise((r) => setTimeout(r, 3000)); // three inventories at --resync 1
    const r = await runCli(['events', '--type', 'DriftDetected', '--json', '--data', data]);
    expect(r.stdout.trim()).toBe('');
  });

  it('given an exec health check, when the engine probes it through podman, then the app is recorded healthy', async () => {
    await waitFor(async () => {
      const r = await runCli(['events', '--app', 'full', '--type', 'HealthChanged', '--json', '--data', data]);
      return r.stdout.split('\n').some((l) => l.includes('"status":"healthy"'));
    }, { timeoutMs: 20_000, what: 'HealthChanged healthy for full' });
  });

  it('given data_uid, when created, then the bind source belongs to that user on the host', async () => {
    const s = await stat(join(appData, 'full', 'conf'));
    expect([s.uid, s.gid]).toEqual([1000, 1000]);
  });

  it('given a rendered file, when an unrelated fact changes, then it is left alone; when its own fact changes, it is replaced atomically and only its app restarts', async () => {
    const file = join(appData, 'full', 'conf', 'app.conf');
    expect(await readFile(file, 'utf8')).toBe(`name=one.local\npassword=${SECRET}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    const inodeBefore = (await stat(file)).ino;
    const bystander = (await running('bystander'))!.Id;

    // HOST_IP changes: `full` is recreated (its env derives from it), the file's bytes do not change.
    const first = (await running('full'))!.Id;
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.6', HOST_MDNS: 'one.local' }));
    const second = await waitFor(async () => {
      const c = await running('full');
      return c && c.Id !== first ? c : undefined;
    }, { timeoutMs: 30_000, what: 'full recreated for HOST_IP' });
    expect((await stat(file)).ino).toBe(inodeBefore);

    // HOST_MDNS changes: the file is re-rendered (a new inode: written beside and renamed over).
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.6', HOST_MDNS: 'two.local' }));
    await waitFor(async () => {
      const c = await running('full');
      return c && c.Id !== second.Id ? c : undefined;
    }, { timeoutMs: 30_000, what: 'full recreated for HOST_MDNS' });
    expect(await readFile(file, 'utf8')).toBe(`name=two.local\npassword=${SECRET}\n`);
    expect((await stat(file)).ino).not.toBe(inodeBefore);
    expect((await readdir(join(appData, 'full', 'conf'))).sort()).toEqual(['app.conf']); // no temp file left
    expect((await running('bystander'))!.Id).toBe(bystander);
  });
});

interface InspectShape {
  Id: string;
  Config: { Hostname: string; Entrypoint: string; Cmd: string[]; User: string; Env: string[]; Healthcheck?: { Test: string[] } };
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>; Tmpfs: Record<string, string>; Binds: string[]; CapAdd: string[]; CapDrop: string[];
    ReadonlyRootfs: boolean; SecurityOpt: string[]; Memory: number; NanoCpus: number; Devices: { PathOnHost: string; PathInContainer: string }[];
    RestartPolicy: { Name: string };
  };
  Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
  NetworkSettings: { Networks: Record<string, unknown> };
}
