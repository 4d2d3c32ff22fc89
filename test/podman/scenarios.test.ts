// End-to-end scenarios: the real daemon, a real (isolated) podman, real manifests on disk.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonState, writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { envOf, podmanEnv, podmanOk, removeContainers, waitFor, running as runningContainer } from '../support/podman.js';

const PREFIX = `sc${process.pid}`;

const IP_APP_EXTRA = `  environment:
    MODE: demo
  derived_env:
    - { key: API_URL, template: "http://{{HOST_IP}}:8080/api" }
`;

describe('daemon on a real podman', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  let facts: string;
  let daemon: Daemon;
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  const running = (id: string) => runningContainer(`${PREFIX}-${id}`);
  const lastSeq = async () => (JSON.parse((await cli('status', '--json')).stdout) as { seq: number }).seq;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-scenarios');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    facts = join(tmp.path, 'facts.json');
    await writeBusyboxApp(apps, PREFIX, 'plain');
    await writeBusyboxApp(apps, PREFIX, 'ipapp', IP_APP_EXTRA);
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.5', HOST_MDNS: 'node.local' }));
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, hostFacts: facts });
    await waitFor(async () => (await running('plain')) && (await running('ipapp')), { timeoutMs: 60_000, what: 'both apps running' });
  });

  afterAll(async () => {
    if (daemon) expect(await daemon.stop()).toBe(0);
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a host IP change, when the facts file changes, then exactly the app deriving from HOST_IP is recreated', async () => {
    const plainBefore = (await running('plain'))!.Id;
    const ipBefore = (await running('ipapp'))!;
    expect(envOf(ipBefore).API_URL).toBe('http://10.0.0.5:8080/api');

    // A follower of ipapp's events, started before the change, sees the recreate as it happens.
    const follower = startCli(['events', '--follow', '--json', '--app', 'ipapp', '--since', String(await lastSeq()), '--data', data]);
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.9', HOST_MDNS: 'node.local' }));

    const ipAfter = await waitFor(async () => {
      const c = await running('ipapp');
      return c && envOf(c).API_URL === 'http://10.0.0.9:8080/api' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'ipapp recreated with the new HOST_IP' });
    expect(ipAfter.Id).not.toBe(ipBefore.Id);
    expect((await running('plain'))!.Id).toBe(plainBefore);
    await follower.waitForOutput(new RegExp(`"type":"ActionSucceeded".*"containerId":"${ipAfter.Id}"`));
    expect(await follower.stop()).toBe(0);
    const followed = follower.stdout().trim().split('\n').map((l) => JSON.parse(l) as { type: string; app?: string; data: { action?: { kind: string } } });
    expect(followed.every((e) => e.app === 'ipapp')).toBe(true);
    expect(followed.find((e) => e.type === 'ActionStarted')?.data.action?.kind).toBe('recreate');

    const factsEvents = (await cli('events', '--type', 'HostFactsObserved', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; data: { facts: { HOST_IP: string } } });
    const change = factsEvents.find((e) => e.data.facts.HOST_IP === '10.0.0.9');
    expect(change).toBeDefined();

    const why = await cli('why', 'ipapp', '--json');
    expect(why.code).toBe(0);
    const entry = (JSON.parse(why.stdout) as { entries: { action: { kind: string }; reasons: { field: string; from: string; to: string; causedBy: number }[] }[] }).entries[0]!;
    expect(entry.action.kind).toBe('recreate');
    expect(entry.reasons).toContainEqual(expect.objectContaining({
      field: 'env.API_URL', from: 'http://10.0.0.5:8080/api', to: 'http://10.0.0.9:8080/api', causedBy: change!.seq,
    }));
    const text = (await cli('why', 'ipapp')).stdout;
    expect(text).toContain(`#${change!.seq} HostFactsObserved HOST_IP "10.0.0.5" → "10.0.0.9"`);
  });

  it('given a running app, when its container is killed, then it runs again and why says it exited', async () => {
    const before = (await running('plain'))!.Id;
    await podmanOk(['kill', `${PREFIX}-plain`]);

    const after = await waitFor(async () => running('plain'), { timeoutMs: 30_000, what: 'plain running again' });
    expect(after.Id).toBe(before); // started again, not recreated
    const why = (await cli('why', 'plain')).stdout;
    expect(why).toMatch(/start plain/);
    expect(why).toMatch(/container-exited status "running" → "exited \(exit 137\)"/);
    expect(why).toMatch(/ContainerExited plain/);
  });

  it('given a running app, when its manifest breaks, then the container keeps running and the error is logged with line:col until the file is fixed', async () => {
    const before = (await running('ipapp'))!.Id;
    const file = join(apps, 'ipapp', 'manifest.yml');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace('  stop_timeout: 2\n', '  stop_timeout: 2\n  restrat: always\n'));

    const rejected = await waitFor(async () => {
      const out = (await cli('events', '--app', 'ipapp', '--type', 'ManifestRejected')).stdout;
      return out.includes('restrat') ? out : undefined;
    }, { timeoutMs: 20_000, what: 'ManifestRejected for ipapp' });
    expect(rejected).toMatch(/ipapp\/manifest\.yml:10:3: container\.restrat: unknown key 'restrat'/);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { apps: { app: string; desired: { state: string; specHash: string | null } }[] };
    // the node keeps the last accepted spec: its hash is still what is desired
    expect(status.apps.find((a) => a.app === 'ipapp')?.desired).toMatchObject({ state: 'manifest-rejected', specHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await new Promise((r) => setTimeout(r, 2_000)); // give a wrong decision time to happen
    expect((await running('ipapp'))?.Id).toBe(before);
    expect(daemon.exitCode()).toBeNull();

    await writeFile(file, good.replace('MODE: demo', 'MODE: fixed'));
    const fixed = await waitFor(async () => {
      const c = await running('ipapp');
      return c && envOf(c).MODE === 'fixed' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'ipapp managed again after the fix' });
    expect(fixed.Id).not.toBe(before);
  });

  it('given a scenario log, when it is exported and replayed offline, then replay rebuilds the live state exactly', async () => {
    const live = await daemonState(data);
    const file = join(tmp.path, 'capture.ndjson');
    expect((await cli('export', '--out', file)).code).toBe(0);

    // No podman here: replay takes no --podman-socket, and one named in the environment does not exist.
    const noPodman = { env: { PODLEDGER_PODMAN_SOCKET: '/nonexistent.sock', CONTAINER_HOST: 'unix:///nonexistent.sock' } };
    const replayed = await runCli(['replay', '--log', file, '--until', String(live.seq), '--json'], noPodman);
    expect(replayed.code).toBe(0);
    const result = JSON.parse(replayed.stdout) as { seq: number; stateHash: string };
    expect(result.seq).toBe(live.seq);
    expect(result.stateHash).toBe(live.stateHash);
    // deterministic: the same log gives the same bytes, run after run
    const again = await runCli(['replay', '--log', file, '--until', String(live.seq), '--json'], noPodman);
    expect(again.stdout).toBe(replayed.stdout);
    const check = await runCli(['replay', '--log', file, '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
