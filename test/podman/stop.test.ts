// Stopping the daemon while a podman call is still running: SIGTERM must not wait for as long as the
// call's timeout (120 s). A podman `stop` of a container that ignores SIGTERM takes its whole stop
// timeout, which stands in for a call that hangs (seen once after the podman service was killed).
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podmanClient } from '../../src/podman/client.js';
import { execute, type ExecutorConfig } from '../../src/act/executor.js';
import { initialState, type State } from '../../src/core/state.js';
import { busyboxManifest, writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { buildImage, envOf, inspect, podmanEnv, podmanOk, removeContainers, running, waitFor, writeBusyboxContext } from '../support/podman.js';

const PREFIX = `st${process.pid}`;
/** longer than the daemon's stop grace (10 s): podman holds the recreate's stop call this long */
const STOP_TIMEOUT_S = 25;

describe('stopping the daemon during a long podman call', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  const daemons: Daemon[] = [];
  const start = () => {
    const d = startDaemon({ apps, data, socket: podmanEnv().socket, extraArgs: ['--resync', '1'] });
    daemons.push(d);
    return d;
  };
  // sh as PID 1 has no SIGTERM handler, so the kernel ignores the signal: podman stop waits it out
  const manifest = (gen: number) => busyboxManifest(PREFIX, 'sleeper', `  command: [/bin/sh, -c, "sleep 3600"]\n  environment: { GEN: "${gen}" }\n`)
    .replace('stop_timeout: 2', `stop_timeout: ${STOP_TIMEOUT_S}`);

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-stop');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    await writeBusyboxApp(apps, PREFIX, 'sleeper');
    await writeFile(join(apps, 'sleeper', 'manifest.yml'), manifest(1));
  });

  afterAll(async () => {
    for (const d of daemons) if (d.exitCode() === null) await d.stop().catch(() => undefined);
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a recreate whose podman stop call runs long, when the daemon gets SIGTERM, then it exits 0 within its grace, says what it left, and the next daemon finishes the job', async () => {
    // given: the app running, then a manifest change whose recreate is stuck in podman's stop
    const first = start();
    await waitFor(() => running(`${PREFIX}-sleeper`), { timeoutMs: 60_000, what: 'sleeper running' });
    await first.waitForOutput('create sleeper: succeeded', { timeoutMs: 30_000 });
    await writeFile(join(apps, 'sleeper', 'manifest.yml'), manifest(2));
    await first.waitForOutput('recreate sleeper: started', { timeoutMs: 30_000 });

    // when
    const t0 = Date.now();
    const code = await first.stop();
    const took = Date.now() - t0;

    // then: it gave up on the call after its grace, not after podman's stop timeout or the call's
    expect(code, first.output().slice(-3000)).toBe(0);
    expect(took).toBeLessThan(STOP_TIMEOUT_S * 1000 - 5_000);
    expect(first.output()).toMatch(/stopping without waiting longer for 1 action\(s\) in flight: recreate sleeper \(for \d+\.\d s\)/);

    // and the next daemon sees the old container (stopping or gone) and brings the new spec up
    const second = start();
    const c = await waitFor(async () => {
      const got = await running(`${PREFIX}-sleeper`);
      return got && envOf(got).GEN === '2' ? got : undefined;
    }, { timeoutMs: 90_000, what: 'sleeper running with GEN=2' });
    expect(envOf(c).GEN).toBe('2');
    expect(await second.stop()).toBe(0);

    // the first boot's recreate has no outcome (as after a crash), and replay agrees with every decision
    const events = (await runCli(['events', '--json', '--data', data])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; boot: number; seq: number; causedBy?: number });
    const started = events.filter((e) => e.boot === 1 && e.type === 'ActionStarted').map((e) => e.seq);
    const outcomes = new Set(events.filter((e) => e.type === 'ActionSucceeded' || e.type === 'ActionFailed').map((e) => e.causedBy));
    expect(started.filter((s) => !outcomes.has(s))).toHaveLength(1);
    const check = await runCli(['replay', '--check', '--data', data]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 180_000);

  it('given a container that takes its whole stop timeout, when the executor removes it with a client that times out sooner, then the stop waits for the container\'s own timeout and the removal succeeds', async () => {
    // given: a container made with a 5 s stop timeout that ignores SIGTERM, and a 2 s client timeout
    // (bitcoind's stop timeout is 15m30s, the daemon's client timeout 120 s: the same shape, smaller)
    const image = `localhost/${PREFIX}-img:1`;
    await buildImage(image, await writeBusyboxContext(join(tmp.path, 'img')));
    const name = `${PREFIX}-slowstop`;
    const id = (await podmanOk(['run', '-d', '--name', name, '--stop-timeout', '5', image, '/bin/sh', '-c', 'sleep 3600'])).trim();
    const socket = podmanEnv().socket;
    const cfg: ExecutorConfig = {
      docker: await podmanClient(socket, 2_000), patientClient: (ms) => podmanClient(socket, ms),
      appsDir: apps, nodeKey: Buffer.alloc(32), progress: () => undefined,
    };
    const state = { ...initialState, containers: { slowstop: { id, name, status: 'running', statusSeq: 1, statusAt: 0, spec: { stopTimeout: 5 } } } } as unknown as State;

    // when
    const t0 = Date.now();
    const outcome = await execute(cfg, { kind: 'remove', app: 'slowstop', reasons: [] }, state);
    const took = Date.now() - t0;

    // then: it waited the container's 5 s (not podman's default 10 s, and past the 2 s client timeout)
    expect(outcome.containerId).toBe(id);
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(9_500);
    expect(await inspect(name)).toBeUndefined();
  }, 120_000);
});
