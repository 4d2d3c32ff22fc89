// `podledger status` on a real podman: an app killed for its memory limit shows its exit as podman
// reports it (137, SIGKILL, OOM killed when podman says so); with the daemon stopped, status says the
// daemon is not running and shows the log's state (exit 0); a daemon that cannot reach podman says so.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { inspect, podmanEnv, podmanOk, removeContainers, running, waitFor } from '../support/podman.js';

const PREFIX = `ss${process.pid}`;

interface StatusJson {
  daemon: { running: boolean; pid?: number; boot?: number; since?: string };
  podman: { known: boolean; reachable?: boolean; version?: string | null; why?: string };
  log: { seq: number };
  apps: { app: string; observed: { state: string | null; exitCode: number | null }; lastExit: { container: string; exitCode: number; signal: string | null; oomKilled: boolean | null; at: string } | null }[];
}

describe('status on a real podman', () => {
  let tmp: TempDir;
  let apps: string;
  let data: string;
  let daemon: Daemon | undefined;
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  const statusJson = async (...args: string[]) => JSON.parse((await cli('status', '--json', ...args)).stdout) as StatusJson;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-status');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    await writeBusyboxApp(apps, PREFIX, 'steady');
    // /dev/zero has no newline: tail keeps all 64 MiB as one line, past the 8 MiB limit
    await writeBusyboxApp(apps, PREFIX, 'hog', '  command: [/bin/sh, -c, "sleep 1; head -c 64m /dev/zero | tail"]\n  restart: "no"\n  resources: { memory: 8m }\n');
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, extraArgs: ['--resync', '1'] });
    await waitFor(() => running(`${PREFIX}-steady`), { timeoutMs: 60_000, what: 'steady running' });
    await waitFor(async () => (await inspect(`${PREFIX}-hog`))?.State.Status === 'exited', { timeoutMs: 60_000, what: 'hog killed for its memory' });
  });

  afterAll(async () => {
    if (daemon) await daemon.stop();
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given an app killed for its memory limit, when status runs, then its exit shows 137, SIGKILL and OOM killed as podman reports it', async () => {
    const hog = await inspect(`${PREFIX}-hog`);
    // podman 4.3 with conmon 2.1 never sets State.OOMKilled (conmon writes its oom file where podman
    // does not look: containers/podman#13102); newer podman does. Status shows what podman reports.
    const podmanSays = (await podmanOk(['inspect', `${PREFIX}-hog`, '--format', '{{.State.OOMKilled}}'])).trim() === 'true';
    const s = await waitFor(async () => {
      const st = await statusJson();
      const hogView = st.apps.find((a) => a.app === 'hog');
      return hogView?.lastExit && hogView.lastExit.oomKilled === podmanSays ? { st, hogView } : undefined;
    }, { timeoutMs: 20_000, what: 'status showing the hog\'s exit' });
    expect(s.hogView.lastExit).toMatchObject({ container: hog!.Id, exitCode: 137, signal: 'SIGKILL', oomKilled: podmanSays });
    expect(s.st.daemon).toMatchObject({ running: true, pid: daemon!.pid });
    expect(s.st.podman).toMatchObject({ known: true, reachable: true });
    expect(s.st.podman.version).toMatch(/^\d+\.\d+/);

    const text = (await cli('status')).stdout;
    expect(text).toMatch(/^daemon: +running, boot 1, pid \d+, since \d{4}-/m);
    expect(text).toMatch(/^podman: +reachable, version \d+\.\d+/m);
    expect(text).toContain(`last exit: exit 137 (SIGKILL)${podmanSays ? ', OOM killed' : ''}, at `);
    const detail = (await cli('status', 'hog')).stdout;
    expect(detail).toContain(`container:    ${hog!.Id} (${PREFIX}-hog)`);
    expect(detail).toMatch(/^last exit: +exit 137 \(SIGKILL\)/m);
    expect(detail).toMatch(/^last why:\n {2}#\d+ create hog/m);
  });

  it('given the daemon stopped, when status runs, then it says the daemon is not running and shows the log\'s state, exit 0', async () => {
    expect(await daemon!.stop()).toBe(0);
    daemon = undefined;
    const r = await cli('status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^daemon: +not running/m);
    expect(r.stdout).toMatch(/^podman: +unknown \(daemon not running\)/m);
    expect(r.stdout).toMatch(/^log: +last seq #\d+/m);
    expect(r.stdout).toMatch(/steady .*running/);
    const s = await statusJson();
    expect(s.daemon).toEqual({ running: false });
    expect(s.apps.find((a) => a.app === 'hog')?.lastExit).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('given a daemon whose podman socket answers nothing, when status runs, then podman is shown unreachable', async () => {
    const other = join(tmp.path, 'data-nopodman');
    const d = startDaemon({ apps, data: other, socket: join(tmp.path, 'no-podman.sock') });
    try {
      await d.waitForOutput('cannot reach podman', { timeoutMs: 30_000 });
      const r = await runCli(['status', '--data', other]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^daemon: +running, boot 1/m);
      expect(r.stdout).toMatch(new RegExp(`^podman: +UNREACHABLE at ${join(tmp.path, 'no-podman.sock').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    } finally {
      expect(await d.stop()).toBe(0);
    }
  });
});
