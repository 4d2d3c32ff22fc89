// Health probes on a real podman reach the container where it lives: on a bridge at its own address
// on that network (no port published), on the host network at 127.0.0.1, and after a recreate at the
// new container's address, never the old one's. Judged from the event log, `status` and podman.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, EnvelopeOf } from '../../src/core/events.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { buildImage, inspect, podmanEnv, podmanOk, removeContainers, uniqueName, waitFor, writeBusyboxContext } from '../support/podman.js';

const PREFIX = `pr${process.pid}`;
const HOST_PORT = 30000 + ((process.pid + 7919) % 15000);
const WEB = `localhost/${PREFIX}-web:1`;
const SLOW = `localhost/${PREFIX}-web:slow`;
const NET = uniqueName(`${PREFIX}-net`);
const TRAP = "trap 'exit 0' TERM;";

let tmp: TempDir;
let daemon: Daemon | undefined;
let data = '';
let apps = '';

/** A manifest for a prebuilt test image (never pulled); `container` lines go inside `container:`. */
async function app(id: string, image: string, container: string, rest = ''): Promise<void> {
  await mkdir(join(apps, id), { recursive: true });
  await writeFile(join(apps, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }
container:
  image: ${image}
  pull_policy: never
  name: ${PREFIX}-${id}
  stop_timeout: 2
${container}${rest}`);
}

const httpCheck = (port: number) => `  health_check: { type: http, port: ${port}, interval: 1s, timeout: 1s, retries: 2 }\n`;

/** `allow`: policy lines under `allow:` (e.g. `onhost: [host-network]`). */
async function start(allow = '{}'): Promise<void> {
  const policy = join(tmp.path, `policy-${run}.yml`);
  await writeFile(policy, `data_root: ${join(tmp.path, 'app-data')}\nallow: ${allow}\n`);
  daemon = startDaemon({ apps, data, socket: podmanEnv().socket, secrets: join(tmp.path, 'secrets'), extraArgs: ['--resync', '1', '--policy', policy] });
  await daemon.waitForOutput('podman reachable', { timeoutMs: 30_000 });
}

async function events(...args: string[]): Promise<Envelope[]> {
  const r = await runCli(['events', '--json', '--data', data, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Envelope);
}

const probesOf = (log: Envelope[], app: string) => log.filter((e): e is EnvelopeOf<'ProbeOutcomeChanged'> => e.type === 'ProbeOutcomeChanged' && e.app === app);
const healthyOf = (log: Envelope[], app: string, id?: string) => log.find((e) => e.type === 'HealthChanged' && e.app === app && e.data.status === 'healthy' && (id === undefined || e.data.id === id));

async function untilHealthy(app: string, id?: string): Promise<Envelope> {
  return waitFor(async () => healthyOf(await events('--app', app), app, id), { timeoutMs: 40_000, what: `${app} healthy${id ? ` (${id.slice(0, 12)})` : ''}` });
}

/** The container's address on the test network, as podman reports it. */
async function addressOf(id: string): Promise<{ id: string; ip: string }> {
  const c = await inspect(`${PREFIX}-${id}`);
  const ip = c?.NetworkSettings.Networks?.[NET]?.IPAddress;
  if (!c || !ip) throw new Error(`${PREFIX}-${id} has no address on ${NET}`);
  return { id: c.Id, ip };
}

beforeAll(async () => {
  tmp = await makeTempDir('podledger-probes');
  const www = { 'www/index.html': 'ok\n' };
  // The port is the container's argument, so one image serves a bridge (8080) and the host network.
  const serve = (delay: string) => ['COPY www /www', 'ENTRYPOINT ["/bin/sh","-c","' + TRAP + delay + ' httpd -f -p $0 -h /www & wait"]', 'CMD ["8080"]'];
  await buildImage(WEB, await writeBusyboxContext(join(tmp.path, 'web'), { files: www, extraLines: serve('') }));
  await buildImage(SLOW, await writeBusyboxContext(join(tmp.path, 'slow'), { files: www, extraLines: serve('sleep 3;') }));
  await podmanOk(['network', 'create', NET]);
});

afterAll(async () => {
  await podmanOk(['network', 'rm', '-f', NET]).catch(() => undefined);
  await tmp?.cleanup();
});

afterEach(async () => {
  if (daemon) expect(await daemon.stop()).toBe(0);
  daemon = undefined;
  await removeContainers(`${PREFIX}-`);
});

let run = 0;
async function fresh(): Promise<void> {
  run += 1;
  apps = join(tmp.path, `apps-${run}`);
  data = join(tmp.path, `data-${run}`);
  await mkdir(apps, { recursive: true });
  await mkdir(join(tmp.path, 'secrets'), { recursive: true });
}

describe('health probes on a real podman', () => {
  it('given a dependency whose health port is not published, when both start, then it is probed at its bridge address and gates its dependent', async () => {
    await fresh();
    await app('db', SLOW, `  network: ${NET}\n${httpCheck(8080)}`);
    await app('api', WEB, `  network: ${NET}\n`, 'dependencies: [{ app: db, condition: healthy }]\n');
    await start();
    await waitFor(async () => (await inspect(`${PREFIX}-api`))?.State.Running, { timeoutMs: 40_000, what: 'api running' });

    const db = await addressOf('db');
    expect(Object.keys((await inspect(`${PREFIX}-db`))!.HostConfig.PortBindings ?? {})).toEqual([]);
    const log = await events();
    const healthy = healthyOf(log, 'db', db.id);
    const created = log.find((e) => e.type === 'ActionStarted' && e.app === 'api' && e.data.action.kind === 'create');
    expect(healthy).toBeDefined();
    expect(created!.seq).toBeGreaterThan(healthy!.seq);
    // what made it healthy: a probe of the container's own address, recorded with the verdict
    const seen = probesOf(log, 'db').find((e) => e.data.id === db.id && e.data.ok && e.seq < healthy!.seq);
    expect(seen?.data, JSON.stringify(log.filter((e) => e.app === 'db').map((e) => [e.seq, e.type, e.data]))).toMatchObject({ output: `${db.ip}:8080: HTTP 200` });

    const status = await runCli(['status', '--json', '--data', data]);
    const views = (JSON.parse(status.stdout) as { apps: { app: string; probes: { at: string; ok: boolean; output: string; latencyMs: number }[] }[] }).apps;
    expect(views.find((v) => v.app === 'db')!.probes.at(-1)).toMatchObject({ ok: true, output: `${db.ip}:8080: HTTP 200` });
    expect((await runCli(['status', '--data', data])).stdout).toContain(` ms: ${db.ip}:8080: HTTP 200`);
  });

  it('given one container on the host network and one on a bridge, when they run, then both are probed healthy, at 127.0.0.1 and at the bridge address', async () => {
    await fresh();
    await app('onhost', WEB, `  network: host\n  command: ["${HOST_PORT}"]\n  health_check: { type: tcp, port: ${HOST_PORT}, interval: 1s, timeout: 1s, retries: 2 }\n`);
    await app('onbridge', WEB, `  network: ${NET}\n${httpCheck(8080)}`);
    await start('{ onhost: [host-network] }');
    await untilHealthy('onhost');
    await untilHealthy('onbridge');

    const bridge = await addressOf('onbridge');
    const log = await events();
    expect(probesOf(log, 'onhost').at(-1)?.data).toMatchObject({ ok: true, output: `127.0.0.1:${HOST_PORT}: connected` });
    expect(probesOf(log, 'onbridge').at(-1)?.data).toMatchObject({ id: bridge.id, ok: true, output: `${bridge.ip}:8080: HTTP 200` });
  });

  it('given a healthy container, when it is recreated with a new address, then every probe of the new container goes to the new address', async () => {
    await fresh();
    const manifest = (version: string) => app('web', WEB, `  network: ${NET}\n  environment: { VERSION: "${version}" }\n${httpCheck(8080)}`);
    await manifest('1');
    await start();
    await untilHealthy('web');
    const before = await addressOf('web');

    await manifest('2');
    const after = await waitFor(async () => {
      const now = await addressOf('web');
      return now.id !== before.id && now;
    }, { timeoutMs: 40_000, what: 'web recreated' });
    await untilHealthy('web', after.id);
    // podman gives the new container the next free address on the network, not the one just freed
    expect(after.ip).not.toBe(before.ip);

    // the output names the address probed, and only a change is recorded: a probe of the old address
    // under the new id would have left an outcome naming it
    const outcomes = probesOf(await events('--app', 'web'), 'web');
    const mine = outcomes.filter((e) => e.data.id === after.id);
    expect(mine.length).toBeGreaterThan(0);
    for (const e of mine) expect(e.data.output.startsWith(`${after.ip}:8080: `), e.data.output).toBe(true);
    expect(outcomes.filter((e) => e.data.id === before.id).every((e) => e.data.output.startsWith(`${before.ip}:8080: `))).toBe(true);
  });
});
