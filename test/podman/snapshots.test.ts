// Projection snapshots of the real daemon on a real podman, with a small interval
// (PODLEDGER_SNAPSHOT_EVERY=5): after a clean restart, a SIGKILL and a corrupted snapshot, it starts
// from a snapshot and says so, converges, and its state hash equals a full replay of its log.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonState, nodeConverged, writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { envOf, podmanEnv, removeContainers, running as runningContainer, waitFor } from '../support/podman.js';
import { controlGetJson, controlSocketPath } from '../../src/daemon/control.js';
import { EventStore } from '../../src/log/store.js';

const PREFIX = `sn${process.pid}`;
const EVERY = 5;

describe('projection snapshots of a real daemon', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  let facts: string;
  let daemon: Daemon | undefined;
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  const running = (id: string) => runningContainer(`${PREFIX}-${id}`);
  const start = () => startDaemon({ apps, data, socket: podmanEnv().socket, hostFacts: facts, env: { PODLEDGER_SNAPSHOT_EVERY: String(EVERY) } });
  const snapshotsWritten = (output: string) => [...output.matchAll(/snapshot written at #(\d+)/g)].map((m) => Number(m[1]));

  /** The daemon's live projection equals a fold of its log up to the same seq, replayed offline by the CLI (through the control socket). */
  async function expectReplayAgrees(): Promise<void> {
    await waitFor(() => nodeConverged(data), { timeoutMs: 30_000, what: 'a converged node' });
    const live = await daemonState(data);
    const replay = await cli('replay', '--until', String(live.seq), '--json');
    expect(replay.code, replay.stderr).toBe(0);
    const replayed = JSON.parse(replay.stdout) as { seq: number; stateHash: string };
    expect(replayed.seq).toBe(live.seq);
    expect(replayed.stateHash).toBe(live.stateHash);
  }

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-snapshots');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    facts = join(tmp.path, 'facts.json');
    await writeBusyboxApp(apps, PREFIX, 'plain');
    await writeBusyboxApp(apps, PREFIX, 'ipapp', '  derived_env:\n    - { key: API_URL, template: "http://{{HOST_IP}}:8080/api" }\n');
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.5', HOST_MDNS: 'node.local' }));
  });

  afterAll(async () => {
    if (daemon) await daemon.stop();
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a first boot that converged and stopped, when restarted, then it starts from the snapshot written at shutdown, with nothing to fold', async () => {
    daemon = start();
    await waitFor(async () => (await running('plain')) && (await running('ipapp')), { timeoutMs: 90_000, what: 'both apps running' });
    expect(daemon.output()).toContain('projection folded from the start of the log (no usable snapshot)');
    await expectReplayAgrees();
    expect(await daemon.stop()).toBe(0);
    const written = snapshotsWritten(daemon.output());
    expect(written.length).toBeGreaterThanOrEqual(2); // periodic ones, and the one at shutdown
    const atShutdown = written.at(-1)!;

    daemon = start();
    await daemon.waitForOutput(new RegExp(`projection loaded from the snapshot at #${atShutdown}\\b.*folded=0\\b`));
    await expectReplayAgrees();
  });

  it('given a running daemon, when a host fact changes and it is then killed (no shutdown snapshot), then the next start folds the tail after its last periodic snapshot, converges, and agrees with a replay', async () => {
    const before = (await running('ipapp'))!.Id;
    await writeFile(facts, JSON.stringify({ HOST_IP: '10.0.0.9', HOST_MDNS: 'node.local' }));
    await waitFor(async () => {
      const c = await running('ipapp');
      return c && c.Id !== before && envOf(c).API_URL === 'http://10.0.0.9:8080/api';
    }, { timeoutMs: 60_000, what: 'ipapp recreated for the new HOST_IP' });
    await expectReplayAgrees();
    // after its snapshots it keeps `why --all`'s entries and serves them; the command line prints them, then
    // explains what came after (the recreate, its outcome after the last snapshot)
    const kept = () => controlGetJson<{ through?: number; texts?: string[] }>(controlSocketPath(data), '/why-kept?app=ipapp&text=1');
    await waitFor(async () => (await kept()).texts?.some((t) => t.includes('create ipapp')), { timeoutMs: 30_000, what: "ipapp's create kept" });
    const why = await cli('why', 'ipapp', '--all');
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout.startsWith((await kept()).texts!.join('\n'))).toBe(true);
    expect(why.stdout).toContain('HOST_IP "10.0.0.5" → "10.0.0.9"');
    const lastSnapshot = snapshotsWritten(daemon!.output()).at(-1)!;
    const seq = (await daemonState(data)).seq;
    process.kill(daemon!.pid, 'SIGKILL');
    await waitFor(() => daemon!.exitCode() !== null, { timeoutMs: 10_000, what: 'the daemon killed' });

    daemon = start();
    const line = await daemon.waitForOutput(/projection loaded from the snapshot at #\d+\b.*folded=\d+/);
    const [, from, folded] = /#(\d+)\b.*folded=(\d+)/.exec(line)!;
    expect(Number(from)).toBe(lastSnapshot);
    expect(Number(from) + Number(folded)).toBe(seq);
    await expectReplayAgrees();
  });

  it('given the newest snapshot corrupted while the daemon was stopped, when started, then it reports that snapshot, starts from an older one, and still agrees with a replay; at most 3 snapshots are kept', async () => {
    expect(await daemon!.stop()).toBe(0);
    const store = await EventStore.open(data);
    const seqs = await store.snapshotSeqs();
    await store.close();
    expect(seqs.length).toBeLessThanOrEqual(3);
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    const raw = new Level<string, string>(data);
    await raw.put(`!snap!${String(seqs[0]).padStart(16, '0')}`, '{"foldVersion": 2, truncated');
    await raw.close();

    daemon = start();
    await daemon.waitForOutput(new RegExp(`snapshot at #${seqs[0]} ignored: not JSON`));
    await daemon.waitForOutput(`projection loaded from the snapshot at #${seqs[1]}`);
    await expectReplayAgrees();
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;

    // and offline, with no daemon: a full replay of the store ends in the state the daemon stopped with
    const store2 = await EventStore.open(data);
    const last = store2.lastSeq;
    const atShutdown = JSON.parse((await store2.getSnapshot(last))!) as { stateHash: string };
    await store2.close();
    const replay = JSON.parse((await cli('replay', '--json')).stdout) as { seq: number; stateHash: string };
    expect(replay).toMatchObject({ seq: last, stateHash: atShutdown.stateHash });
  });
});
