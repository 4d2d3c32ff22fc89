// The reconciler against a real podman: health-gated start order, crash-loop backoff, adoption,
// drift, rollback and a missing secret — each judged from the event log and from podman itself.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/core/events.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { buildImage, envOf, inspect, podmanEnv, podmanOk, removeContainers, waitFor, writeBusyboxContext, running as runningContainer } from '../support/podman.js';

const PREFIX = `rc${process.pid}`;
const PORT = 30000 + (process.pid % 15000);
const GOOD = `localhost/${PREFIX}-web:good`;
const BAD = `localhost/${PREFIX}-web:bad`;
const SLOW = `localhost/${PREFIX}-web:slow`;
const NET = `${PREFIX}-net`;
const TRAP = "trap 'exit 0' TERM;";

let tmp: TempDir;
let daemon: Daemon | undefined;
let data = '';
let apps = '';

/** A manifest for a prebuilt test image (never pulled). `extra` goes inside `container:`. */
async function app(id: string, image: string, extra = '', rest = ''): Promise<void> {
  await mkdir(join(apps, id), { recursive: true });
  await writeFile(join(apps, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }
container:
  image: ${image}
  pull_policy: never
  name: ${PREFIX}-${id}
  network: ${NET}
  stop_timeout: 2
${extra}${rest}`);
}

async function start(extra: string[] = []): Promise<void> {
  daemon = startDaemon({ apps, data, socket: podmanEnv().socket, secrets: join(tmp.path, 'secrets'), extraArgs: ['--resync', '1', ...extra] });
  await daemon.waitForOutput('podman reachable', { timeoutMs: 30_000 });
}

async function events(...args: string[]): Promise<Envelope[]> {
  const r = await runCli(['events', '--json', '--data', data, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Envelope);
}

const running = (id: string) => runningContainer(`${PREFIX}-${id}`);

beforeAll(async () => {
  tmp = await makeTempDir('podledger-reconciler');
  const www = { 'www/index.html': 'ok\n' };
  await buildImage(GOOD, await writeBusyboxContext(join(tmp.path, 'good'), { files: www, extraLines: ['COPY www /www', `CMD ["/bin/sh","-c","${TRAP} httpd -f -p 8080 -h /www & wait"]`] }));
  await buildImage(BAD, await writeBusyboxContext(join(tmp.path, 'bad'), { extraLines: [`CMD ["/bin/sh","-c","${TRAP} while true; do sleep 1; done"]`] }));
  await buildImage(SLOW, await writeBusyboxContext(join(tmp.path, 'slow'), { files: www, extraLines: ['COPY www /www', `CMD ["/bin/sh","-c","${TRAP} sleep 3; httpd -f -p 8080 -h /www & wait"]`] }));
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

const health = (port: number, retries = 2) =>
  `  ports: [{ host: ${port}, container: 8080, host_ip: 127.0.0.1 }]\n  health_check: { type: http, port: 8080, interval: 1s, timeout: 1s, retries: ${retries} }\n`;

describe('the reconciler on a real podman', () => {
  it('given a dependency gated on health, when both start, then the dependent is created only after the dependency\'s first healthy probe', async () => {
    await fresh();
    await app('db', SLOW, health(PORT));
    await app('api', GOOD, '', 'dependencies: [{ app: db, condition: healthy }]\n');
    await start();
    await waitFor(() => running('api'), { timeoutMs: 40_000, what: 'api running' });

    const log = await events();
    const healthy = log.find((e) => e.type === 'HealthChanged' && e.app === 'db' && e.data.status === 'healthy');
    const created = log.find((e) => e.type === 'ActionStarted' && e.app === 'api' && e.data.action.kind === 'create');
    expect(healthy).toBeDefined();
    expect(created!.seq).toBeGreaterThan(healthy!.seq);
    const waited = log.find((e) => e.type === 'PlanDecided' && e.data.actions.some((a) => a.app === 'api' && a.kind === 'blocked'
      && a.reasons.some((r) => r.code === 'waiting-on-dependency' && /db is not healthy \(starting\) since /.test(r.message ?? ''))));
    expect(waited).toBeDefined();
  });

  it('given an app that crashes at once, when it loops, then the first restart is at once and the next ones are spaced by a doubling backoff from event times', async () => {
    await fresh();
    await app('crasher', GOOD, '  command: [/bin/sh, -c, "exit 3"]\n');
    await start();
    await new Promise((r) => setTimeout(r, 12_000));

    const log = await events('--app', 'crasher');
    // an exit is seen by the event stream or, if a resync gets there first, by the inventory
    const exits = log.filter((e) => e.type === 'ContainerExited' || (e.type === 'ContainerObserved' && e.data.state === 'exited'));
    const starts = log.filter((e) => e.type === 'ActionSucceeded' && e.data.kind === 'start');
    expect(exits.length).toBeGreaterThanOrEqual(3);
    // the first restart does not wait; each later one follows the exit before it by at least the
    // jittered backoff (0.8 × 1 s × 2^(n-1))
    const gaps = starts.map((s) => s.at - [...exits].reverse().find((x) => x.seq < s.seq)!.at);
    // at once: no backoff scheduled before it (a loaded machine may still take a second to get there)
    const firstBackoff = log.find((e) => e.type === 'BackoffScheduled');
    expect(firstBackoff && starts[0]!.seq < firstBackoff.seq, 'the first restart is at once, before any backoff').toBe(true);
    gaps.slice(1).forEach((gap, n) => expect(gap).toBeGreaterThanOrEqual(0.8 * 1000 * 2 ** n - 50));
    expect(starts.length).toBeLessThanOrEqual(5); // 12 s hold at most 0+1+2+4+8 s of windows
    const scheduled = log.filter((e) => e.type === 'BackoffScheduled').map((e) => e.data.attempt);
    expect(scheduled.slice(0, 3)).toEqual([1, 2, 3]);
    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout) as { apps: { app: string; restarts: number }[] };
    expect(status.apps.find((a) => a.app === 'crasher')!.restarts).toBeGreaterThanOrEqual(2);
  });

  it('given a running app, when its process is killed from the host, then it is restarted at once, its death recorded once, and podman\'s late died event is not taken for a death of the new run', async () => {
    await fresh();
    await app('steady', GOOD);
    await start();
    const first = await waitFor(() => running('steady'), { timeoutMs: 30_000, what: 'steady running' });
    process.kill(first.State.Pid, 'SIGKILL'); // a crash (podman kill would be a user's stop)
    const again = await waitFor(async () => {
      const c = await running('steady');
      return c && c.State.StartedAt !== first.State.StartedAt ? c : undefined;
    }, { timeoutMs: 10_000, intervalMs: 20, what: 'steady running again' });
    expect(again.Id, 'the same container, started again').toBe(first.Id);
    await new Promise((r) => setTimeout(r, 2_000)); // podman's own died event has long arrived by now
    const log = await events('--app', 'steady');
    const deaths = log.filter((e) => e.type === 'ContainerExited' || (e.type === 'ContainerObserved' && e.data.state === 'exited'));
    const starts = log.filter((e) => e.type === 'ActionSucceeded' && e.data.kind === 'start');
    expect(deaths, 'one death recorded').toHaveLength(1);
    expect(starts, 'one restart').toHaveLength(1);
    expect(starts[0]!.type === 'ActionSucceeded' && starts[0]!.data.attempt).toBe(0);
    expect((await running('steady'))?.State.StartedAt, 'still the run it was restarted into').toBe(again.State.StartedAt);
  });

  it('given containers made by hand before the daemon starts, when it starts, then the matching one is adopted (same id) and the other replaced with its differences', async () => {
    await fresh();
    await app('adoptee', GOOD, '  environment: { MODE: hand }\n');
    await app('conflict', GOOD, '  environment: { MODE: mine }\n');
    const adoptee = (await podmanOk(['run', '-d', '--name', `${PREFIX}-adoptee`, '--network', NET, '-e', 'MODE=hand', GOOD])).trim();
    const conflict = (await podmanOk(['run', '-d', '--name', `${PREFIX}-conflict`, '--network', NET, '-e', 'MODE=other', GOOD])).trim();
    await start();

    const replaced = await waitFor(async () => {
      const c = await running('conflict');
      return c && c.Id !== conflict ? c : undefined;
    }, { timeoutMs: 30_000, what: 'conflict replaced' });
    expect(envOf(replaced).MODE).toBe('mine');
    expect((await running('adoptee'))!.Id).toBe(adoptee);
    const why = (await runCli(['why', 'conflict', '--data', data])).stdout;
    expect(why).toContain('unmanaged-conflict env.MODE "other" → "mine"');
    expect((await runCli(['why', 'adoptee', '--data', data])).stdout).toMatch(/adopt adoptee[\s\S]*unmanaged-match/);

    // adopted for good: resyncs keep it, and a crash is restarted in place
    await new Promise((r) => setTimeout(r, 2_500));
    await podmanOk(['kill', `${PREFIX}-adoptee`]);
    const back = await waitFor(() => running('adoptee'), { timeoutMs: 20_000, what: 'adoptee restarted' });
    expect(back.Id).toBe(adoptee);
  });

  it('given a running app, when its container is removed by hand or replaced by hand with other env, then the daemon converges back and says why', async () => {
    await fresh();
    await app('drifty', GOOD, '  environment: { MODE: calm }\n');
    await start();
    const first = await waitFor(() => running('drifty'), { timeoutMs: 30_000, what: 'drifty running' });

    await podmanOk(['rm', '-f', '-t', '0', `${PREFIX}-drifty`]);
    const second = await waitFor(async () => {
      const c = await running('drifty');
      return c && c.Id !== first.Id ? c : undefined;
    }, { timeoutMs: 30_000, what: 'drifty recreated after podman rm' });
    expect((await runCli(['why', 'drifty', '--data', data])).stdout).toMatch(/create drifty[\s\S]*container-missing[\s\S]*ContainerRemoved/);

    // by hand, with our labels copied but another env: only a comparison with the spec can tell
    expect(await daemon!.stop()).toBe(0);
    daemon = undefined;
    const labels = second.Config.Labels ?? {};
    await podmanOk(['rm', '-f', '-t', '0', `${PREFIX}-drifty`]);
    const forged = (await podmanOk(['run', '-d', '--name', `${PREFIX}-drifty`, '--network', NET, '-e', 'MODE=stormy',
      ...Object.entries(labels).filter(([k]) => k.startsWith('podledger.')).flatMap(([k, v]) => ['--label', `${k}=${v}`]), GOOD])).trim();
    await start();
    const healed = await waitFor(async () => {
      const c = await running('drifty');
      return c && c.Id !== forged ? c : undefined;
    }, { timeoutMs: 30_000, what: 'drifty recreated after drift' });
    expect(envOf(healed).MODE).toBe('calm');
    const drift = (await events('--app', 'drifty', '--type', 'DriftDetected'))[0];
    expect(drift?.data).toMatchObject({ id: forged, differences: [{ field: 'env.MODE', expected: 'calm', actual: 'stormy' }] });
  });

  it('given a healthy app, when an update to a bad image never becomes healthy, then it is rolled back and the bad spec is not retried', async () => {
    await fresh();
    await app('rb', GOOD, health(PORT + 1));
    await start();
    await waitFor(async () => (await events('--app', 'rb', '--type', 'HealthChanged')).some((e) => e.type === 'HealthChanged' && e.data.status === 'healthy'), { timeoutMs: 30_000, what: 'rb healthy' });

    await app('rb', BAD, health(PORT + 1));
    const rolled = await waitFor(async () => (await events('--app', 'rb', '--type', 'RolledBack'))[0], { timeoutMs: 40_000, what: 'RolledBack' });
    const back = await waitFor(async () => {
      const c = await running('rb');
      return c && c.Config.Image === GOOD ? c : undefined;
    }, { timeoutMs: 30_000, what: 'rb running the good image again' });
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await running('rb'))!.Id).toBe(back.Id); // not retried with the bad spec
    const recreates = (await events('--app', 'rb', '--type', 'ActionStarted')).filter((e) => e.type === 'ActionStarted' && e.seq > rolled.seq && e.data.action.kind !== 'rollback');
    expect(recreates).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout) as { apps: { app: string; rolledBack: unknown }[] };
    expect(status.apps.find((a) => a.app === 'rb')!.rolledBack).not.toBeNull();
  });

  it('given a missing secret file, when the daemon runs, then only the app needing it waits, and it starts once the file appears', async () => {
    await fresh();
    await app('needy', GOOD, '  secret_env: [{ key: TOKEN, secret_file: token }]\n');
    await app('free', GOOD);
    await start();
    await waitFor(() => running('free'), { timeoutMs: 30_000, what: 'free running' });
    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout) as { apps: { app: string; pending: unknown[] }[] };
    expect(status.apps.find((a) => a.app === 'needy')!.pending).toEqual([{ kind: 'blocked', reasons: [{ code: 'waiting-on-secret', field: 'token' }] }]);
    expect(await inspect(`${PREFIX}-needy`)).toBeUndefined();

    await writeFile(join(tmp.path, 'secrets', 'token'), 't0ken\n');
    const needy = await waitFor(() => running('needy'), { timeoutMs: 30_000, what: 'needy running' });
    expect(envOf(needy).TOKEN).toBe('t0ken');
  });

  it('given an image that cannot be pulled, when the daemon runs, then the failure is an event, retried with backoff, and only that app waits', async () => {
    await fresh();
    await mkdir(join(apps, 'ghost'), { recursive: true });
    await writeFile(join(apps, 'ghost', 'manifest.yml'), `app: { id: ghost, name: ghost, version: "1" }\ncontainer:\n  image: registry.invalid/podledger/nope:1\n  name: ${PREFIX}-ghost\n  network: ${NET}\n`);
    await app('free', GOOD);
    await start();
    await waitFor(() => running('free'), { timeoutMs: 30_000, what: 'free running' });
    const failures = await waitFor(async () => {
      const f = (await events('--app', 'ghost', '--type', 'ActionFailed'));
      return f.length >= 2 ? f : undefined;
    }, { timeoutMs: 30_000, what: 'two failed pulls' });
    expect(failures[0]!.data).toMatchObject({ kind: 'create', error: { code: 'pull-failed', message: expect.stringContaining('cannot pull image: registry.invalid/podledger/nope:1') } });
    expect(failures[1]!.at - failures[0]!.at).toBeGreaterThanOrEqual(800);
    const status = JSON.parse((await runCli(['status', '--json', '--data', data])).stdout) as { apps: { app: string; failure: string | null }[] };
    expect(status.apps.find((a) => a.app === 'ghost')!.failure).toContain('cannot pull image');
  });
});
