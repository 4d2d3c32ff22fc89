// The library of captured boots: `npm run record` runs each scenario with the real daemon against a
// real, isolated podman and writes events/<scenario>.ndjson (the daemon's exported log) and
// replay/<scenario>.json (what that log must replay to). test/unit/replay/library.test.ts replays
// them with today's code. One scenario: `npm run record -- -t crash-loop`.
//
// Re-record only when a decision changes on purpose (see events/README.md): a fixture that no longer
// replays is what the library exists to catch.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/core/events.js';
import { fold } from '../../src/core/evolve.js';
import { makeTempDir, REPO_ROOT, type TempDir } from '../support/cli.js';
import { buildImage, envOf, inspect, podmanOk, waitFor, writeBusyboxContext } from '../support/podman.js';
import {
  claimWorkDir, finish, IMAGES, NETWORK, ofType, openActions, removeEverything, releaseWorkDir, removeNetwork, Scenario, ShapeError, sleep, WORK_DIR,
} from './recorder.js';
import { ROTATED_SECRET_NEEDLE, ROTATED_SECRET_VALUES } from './values.js';

const TRAP = "trap 'exit 0' TERM;";
let images: TempDir;
let current: Scenario | undefined;
const timings: { scenario: string; events: number; seconds: number; attempt: number }[] = [];
const failed: string[] = [];

beforeAll(async () => {
  await claimWorkDir();
  const tmp = images = await makeTempDir('podledger-record-images');
  const www = { 'www/index.html': 'ok\n' };
  await buildImage(IMAGES.good, await writeBusyboxContext(join(tmp.path, 'img-good'), {
    files: www, extraLines: ['COPY www /www', `CMD ["/bin/sh","-c","${TRAP} httpd -f -p 8080 -h /www & wait"]`],
  }));
  await buildImage(IMAGES.bad, await writeBusyboxContext(join(tmp.path, 'img-bad'), {
    extraLines: [`CMD ["/bin/sh","-c","${TRAP} while true; do sleep 1; done"]`],
  }));
});

afterEach(async () => {
  if (current?.daemon) await current.daemon.stop().catch(() => undefined); // a failed scenario's daemon
  current = undefined;
  await removeEverything();
});

afterAll(async () => {
  await removeNetwork();
  await images?.cleanup();
  // A failed scenario's dir (apps, data, daemon log) is kept for a look; the next recording empties it.
  if (failed.length === 0) await releaseWorkDir();
  else console.log(`kept ${WORK_DIR} for: ${failed.join(', ')}`);
  if (timings.length > 0) {
    console.log(`recorded:\n${timings.map((t) => `  ${t.scenario.padEnd(22)} ${String(t.events).padStart(4)} events  ${t.seconds.toFixed(1)} s${t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}`).join('\n')}`);
  }
});

/** Run one scenario from an empty node; its time and size go into the summary. */
function scenario(name: string, body: (s: Scenario) => Promise<{ events: Envelope[] }>): void {
  it(name, async () => {
    // Timing decides some details of a real run (which observer sees an exit first, say); a run whose
    // log misses the scenario's point is tried again, at most twice, and says why.
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      await removeEverything();
      current = await Scenario.create(name);
      try {
        const { events } = await body(current);
        timings.push({ scenario: name, events: events.length, seconds: (Date.now() - started) / 1000, attempt });
        return;
      } catch (err) {
        if (current.daemon) await current.daemon.stop().catch(() => undefined);
        if (err instanceof ShapeError && attempt < 3) {
          console.warn(`${name}: attempt ${attempt} not kept, recording again: ${err.message}`);
          continue;
        }
        failed.push(name);
        throw err;
      }
    }
  }, 3 * 180_000);
}

const lastSeq = (events: readonly Envelope[]) => events.at(-1)?.seq ?? 0;
const running = async (name: string) => {
  const c = await inspect(name);
  return c?.State.Running ? c : undefined;
};

const DEMO_APPS = ['bitcoind', 'electrs', 'bitcoin-ui', 'fedimint'];

/**
 * The demo catalog (examples/demo) as it is, but for what must be unique on a shared host: the
 * network, the host ports and the data root (the demo's own may be in use by `npm start` here).
 */
async function demoCatalog(s: Scenario): Promise<void> {
  await cp(join(REPO_ROOT, 'examples/demo/apps'), s.apps, { recursive: true, verbatimSymlinks: true });
  await cp(join(REPO_ROOT, 'examples/demo/secrets'), s.secrets, { recursive: true });
  const ports = new Map<string, number>();
  for (const id of await readdir(s.apps)) {
    const file = join(s.apps, id, 'manifest.yml');
    let text = (await readFile(file, 'utf8')).replaceAll('network: podledger-demo', `network: ${NETWORK}`)
      .replaceAll('/var/lib/podledger-demo-apps', s.appData);
    for (const [, host] of text.matchAll(/\{ host: (\d+),/g)) if (!ports.has(host!)) ports.set(host!, await s.port(Number(host) + 10_000));
    text = text.replace(/\{ host: (\d+),/g, (_, host: string) => `{ host: ${ports.get(host)},`);
    await writeFile(file, text);
  }
  await writeFile(s.policy, (await readFile(join(REPO_ROOT, 'examples/demo/policy.yml'), 'utf8')).replaceAll('/var/lib/podledger-demo-apps', s.appData));
  await s.writeFacts({ HOST_IP: '10.0.0.5', HOST_MDNS: 'podledger-demo.local' });
}

describe.sequential('captured boots', () => {
  scenario('first-boot-demo', async (s) => {
    await demoCatalog(s);
    const apps = DEMO_APPS;

    await s.start();
    await s.converged('the four demo apps built and running', apps, 0, 90_000);
    return finish(s, 'The demo catalog (examples/demo: four busybox apps built from their folders, a template, a secret, derived env) on an empty node until converged: bitcoind first, then its three dependents.', apps, (events) => {
      expect(ofType(events, 'ActionSucceeded').filter((e) => e.data.kind === 'create').map((e) => e.app).sort()).toEqual([...apps].sort());
      expect(ofType(events, 'ImageProgress').length).toBeGreaterThan(0);
    });
  });

  scenario('host-ip-change', async (s) => {
    // The stale-IP outage: an app whose env names the host's IP must follow it; its neighbours must not move.
    await s.writeApp('bitcoind', IMAGES.good);
    await s.writeApp('electrs', IMAGES.good, { container: '  environment: { DAEMON_RPC_ADDR: "bitcoind:8080" }\n', rest: 'dependencies: [bitcoind]\n' });
    await s.writeApp('fedimint', IMAGES.good, {
      container: '  derived_env:\n    - { key: FM_P2P_URL, template: "fedimint://{{HOST_IP}}:8173" }\n    - { key: FM_API_URL, template: "wss://{{HOST_MDNS}}/ws/" }\n',
      rest: 'dependencies: [bitcoind]\n',
    });
    const apps = ['bitcoind', 'electrs', 'fedimint'];
    await s.start();
    const before = await s.converged('three apps running', apps);
    await s.writeFacts({ HOST_IP: '10.0.0.9' });
    await s.until('fedimint recreated', (events) => ofType(events, 'ActionSucceeded', 'fedimint').some((e) => e.seq > lastSeq(before) && e.data.kind === 'recreate'));
    await s.converged('converged on the new IP', apps, lastSeq(before));
    expect(envOf((await running('fedimint'))!).FM_P2P_URL).toBe('fedimint://10.0.0.9:8173');
    return finish(s, 'HOST_IP changes 10.0.0.5 → 10.0.0.9 under three running apps: fedimint, whose FM_P2P_URL is derived from it, is recreated; bitcoind and electrs are untouched.', apps, (events) => {
      const recreated = ofType(events, 'ActionStarted').filter((e) => e.data.action.kind === 'recreate').map((e) => e.app);
      expect(recreated).toEqual(['fedimint']);
    });
  });

  scenario('crash-loop', async (s) => {
    await s.writeApp('crasher', IMAGES.good, { container: '  command: [/bin/sh, -c, "exit 3"]\n' });
    await s.start();
    // attempt 0 runs at once, attempts 1, 2, 3 after 1, 2 and 4 s (±20 %); stop once the 8 s wait of attempt 4 is recorded
    await s.until('BackoffScheduled attempt 4', (events) => ofType(events, 'BackoffScheduled', 'crasher').some((e) => e.data.attempt === 4), 40_000);
    return finish(s, 'An app whose container exits (code 3) at once: restarted at once the first time, then after a backoff of 1, 2 and 4 s (±20 % jitter), doubling; recorded until the wait before the fifth restart.', ['crasher'], (events) => {
      expect(ofType(events, 'BackoffScheduled', 'crasher').map((e) => e.data.attempt)).toEqual([1, 2, 3, 4]);
    });
  });

  scenario('bad-image-rollback', async (s) => {
    const port = await s.port(28090);
    const web = (image: string) => s.writeApp('web', image, {
      container: `  ports: [{ host: ${port}, container: 8080, host_ip: 127.0.0.1 }]\n  health_check: { type: http, port: 8080, interval: 1s, timeout: 1s, retries: 2 }\n`,
    });
    await web(IMAGES.good);
    await s.start();
    const healthy = await s.until('web healthy', (events) => ofType(events, 'HealthChanged', 'web').find((e) => e.data.status === 'healthy'));
    await web(IMAGES.bad);
    const rolled = await s.until('RolledBack', (events) => ofType(events, 'RolledBack', 'web')[0], 40_000);
    await s.until('healthy again on the good image', (events) =>
      ofType(events, 'HealthChanged', 'web').some((e) => e.seq > rolled.seq && e.data.status === 'healthy'));
    await s.converged('converged after the rollback', ['web'], rolled.seq);
    expect((await running('web'))!.Config.Image).toBe(IMAGES.good);
    await sleep(3_000); // long enough for a retry of the bad spec to show, were there one
    return finish(s, 'A healthy app (http health check) is updated to an image that never becomes healthy; it is rolled back to the last healthy configuration and held there (the bad spec is not retried).', ['web'], (events) => {
      expect(healthy.seq).toBeLessThan(rolled.seq);
      // RolledBack is recorded by the rollback action itself (causedBy its ActionStarted); nothing after it
      expect(events.find((e) => e.seq === rolled.causedBy)).toMatchObject({ type: 'ActionStarted', data: { action: { kind: 'rollback' } } });
      expect(ofType(events, 'ActionStarted', 'web').filter((e) => e.seq > rolled.seq)).toEqual([]);
    });
  });

  scenario('secret-rotation', async (s) => {
    const [before, after] = ROTATED_SECRET_VALUES;
    await writeFile(join(s.secrets, 'rpc-password'), `${before}\n`);
    await s.writeApp('vault', IMAGES.good, { container: '  secret_env:\n    - { key: RPC_PASSWORD, secret_file: rpc-password }\n' });
    await s.writeApp('bystander', IMAGES.good);
    const apps = ['vault', 'bystander'];
    await s.start();
    const first = await s.converged('both apps running', apps);
    expect(envOf((await running('vault'))!).RPC_PASSWORD).toBe(before);
    await writeFile(join(s.secrets, 'rpc-password'), `${after}\n`);
    await s.until('vault recreated', (events) => ofType(events, 'ActionSucceeded', 'vault').some((e) => e.seq > lastSeq(first) && e.data.kind === 'recreate'));
    await s.converged('converged on the new secret', apps, lastSeq(first));
    expect(envOf((await running('vault'))!).RPC_PASSWORD).toBe(after);
    return finish(s, 'The secret file rpc-password is rotated under two running apps: vault, which takes it as RPC_PASSWORD, is recreated; bystander is untouched; the log holds secret hashes, never a value.', apps, (events, text) => {
      expect(text).not.toContain(ROTATED_SECRET_NEEDLE);
      expect(s.output()).not.toContain(ROTATED_SECRET_NEEDLE);
      expect(ofType(events, 'ActionStarted').filter((e) => e.data.action.kind === 'recreate').map((e) => e.app)).toEqual(['vault']);
    });
  });

  scenario('drift-fixed', async (s) => {
    await s.writeApp('lost', IMAGES.good, { container: '  environment: { MODE: calm }\n' });
    await s.writeApp('forged', IMAGES.good, { container: '  environment: { MODE: calm }\n' });
    const apps = ['lost', 'forged'];
    await s.start();
    const up = await s.converged('both apps running', apps);
    const lostId = (await running('lost'))!.Id;
    await podmanOk(['rm', '-f', '-t', '0', 'lost']);
    await s.until('lost created again', (events) => ofType(events, 'ActionSucceeded', 'lost').some((e) => e.seq > lastSeq(up) && e.data.kind === 'create'));
    await s.converged('converged after the removal', apps, lastSeq(up));
    expect((await running('lost'))!.Id).not.toBe(lostId);

    // While the daemon is down: forged is replaced by hand with our labels copied but another env.
    await s.stop();
    const original = (await running('forged'))!;
    await podmanOk(['rm', '-f', '-t', '0', 'forged']);
    const labels = Object.entries(original.Config.Labels ?? {}).filter(([k]) => k.startsWith('podledger.'));
    const forgedId = (await podmanOk(['run', '-d', '--name', 'forged', '--network', NETWORK, '-e', 'MODE=stormy',
      ...labels.flatMap(([k, v]) => ['--label', `${k}=${v}`]), IMAGES.good])).trim();
    await s.start();
    await s.until('forged recreated', (events) => ofType(events, 'ActionSucceeded', 'forged').some((e) => e.boot === 2 && e.data.kind === 'recreate'));
    const healed = await s.converged('converged after the drift', apps, lastSeq(up));
    expect(fold(healed).containers.forged?.id).not.toBe(forgedId);
    expect(envOf((await running('forged'))!).MODE).toBe('calm');
    return finish(s, 'Two running apps: lost\'s container is removed by hand (podman rm) and created again; then, while the daemon is stopped, forged\'s is replaced by hand with podledger\'s labels but MODE=stormy; the next boot detects the drift and recreates it.', apps, (events) => {
      expect(ofType(events, 'DriftDetected', 'forged')[0]?.data.differences).toEqual([{ field: 'env.MODE', expected: 'calm', actual: 'stormy' }]);
      expect(ofType(events, 'ContainerRemoved', 'lost').length).toBeGreaterThan(0);
    });
  });

  scenario('killed-mid-recreate', async (s) => {
    // PID 1 without a TERM trap ignores SIGTERM: every stop takes the full stop_timeout, a window to kill in.
    const slow = (release: string) => s.writeApp('slowstop', IMAGES.good, {
      stopTimeout: 5,
      container: `  command: [/bin/sh, -c, "while true; do sleep 1; done"]\n  environment: { RELEASE: "${release}" }\n`,
    });
    await slow('1');
    await s.start();
    const up = await s.converged('slowstop running', ['slowstop']);
    const oldId = (await running('slowstop'))!.Id;
    await slow('2');
    const started = await s.until('ActionStarted recreate slowstop', (events) =>
      ofType(events, 'ActionStarted', 'slowstop').find((e) => e.seq > lastSeq(up) && e.data.action.kind === 'recreate'), 20_000);
    await s.kill();
    // podman finishes the stop it was asked for; start again once it has, so the next boot sees a settled node
    await waitFor(async () => {
      const c = await inspect('slowstop');
      return !c || c.Id !== oldId || c.State.Status === 'exited'; // not 'stopping' (podman 4.3; inventory says 'unknown')
    }, { timeoutMs: 15_000, intervalMs: 100, what: 'the old container exited' });
    await s.start();
    await s.until('slowstop recreated by the second boot', (events) =>
      ofType(events, 'ActionSucceeded', 'slowstop').some((e) => e.boot === 2 && (e.data.kind === 'recreate' || e.data.kind === 'create')));
    await s.converged('converged after the restart', ['slowstop'], started.seq);
    expect(envOf((await running('slowstop'))!).RELEASE).toBe('2');
    return finish(s, 'A manifest change starts a recreate of slowstop (whose stop takes 5 s); the daemon is killed with SIGKILL right after ActionStarted, so that action has no outcome; restarted on the same data dir, it finds the old container stopped and recreates it.', ['slowstop'], (events) => {
      const open = openActions(events).filter((e) => e.app === 'slowstop');
      expect(open.map((e) => e.seq)).toEqual([started.seq]);
      expect(ofType(events, 'BootStopped').map((e) => e.boot)).toEqual([2]);
    });
  });

  scenario('demo-host-ip-change', async (s) => {
    // What scripts/capture-demo.sh used to capture (replay/demo-host-ip-change.ndjson), now recorded here.
    await demoCatalog(s);
    await s.start();
    const up = await s.converged('the four demo apps running', DEMO_APPS, 0, 90_000);
    await s.writeFacts({ HOST_IP: '10.0.0.9', HOST_MDNS: 'podledger-demo.local' });
    await s.until('fedimint recreated', (events) => ofType(events, 'ActionSucceeded', 'fedimint').some((e) => e.seq > lastSeq(up) && e.data.kind === 'recreate'));
    const moved = await s.converged('converged on the new IP', DEMO_APPS, lastSeq(up));
    await podmanOk(['kill', 'electrs']);
    await s.until('electrs started again', (events) => ofType(events, 'ActionSucceeded', 'electrs').some((e) => e.seq > lastSeq(moved) && e.data.kind === 'start'));
    const restarted = await s.converged('converged after the kill', DEMO_APPS, lastSeq(moved));
    const manifest = join(s.apps, 'electrs', 'manifest.yml');
    const good = await readFile(manifest, 'utf8');
    await writeFile(manifest, good.replace(/^container:\n/m, 'container:\n  imgae: oops\n'));
    const rejected = await s.until('electrs\' manifest rejected', (events) => ofType(events, 'ManifestRejected', 'electrs').find((e) => e.seq > lastSeq(restarted)));
    await writeFile(manifest, good);
    await s.until('electrs\' manifest accepted again', (events) => ofType(events, 'ManifestObserved', 'electrs').some((e) => e.seq > rejected.seq));
    await s.converged('converged after the fix', DEMO_APPS, rejected.seq);
    return finish(s, 'The four demo apps (examples/demo) start on a fresh node; HOST_IP changes 10.0.0.5 → 10.0.0.9 (fedimint recreated for its derived FM_P2P_URL, bitcoin-ui for its re-rendered page); electrs is killed (started again); electrs\' manifest is broken (held, not removed) and fixed.', DEMO_APPS, (events) => {
      expect(ofType(events, 'ActionStarted').filter((e) => e.data.action.kind === 'recreate').map((e) => e.app).sort()).toEqual(['bitcoin-ui', 'fedimint']);
      expect(ofType(events, 'ManifestRejected', 'electrs')).toHaveLength(1);
      expect(ofType(events, 'ActionStarted', 'electrs').filter((e) => e.seq > rejected.seq)).toEqual([]);
    });
  });
});
