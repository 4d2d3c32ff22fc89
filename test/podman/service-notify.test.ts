// The daemon under a Type=notify unit, as systemd sees it: a real datagram socket in NOTIFY_SOCKET
// (test/support/notify-socket.ts) and WATCHDOG_USEC set, a daemon on the isolated podman.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { canListen, has, listenForNotifications, type NotifyMessage, type NotifySocket } from '../support/notify-socket.js';
import { podmanEnv, removeContainers, running } from '../support/podman.js';

const PREFIX = `sn${process.pid}`;
const WATCHDOG_USEC = 1_000_000; // a ping every 0.5 s
const notifies = canListen() && spawnSync('systemd-notify', ['--version']).status === 0;

describe.skipIf(!notifies)('the daemon as a systemd notify service on a real podman', () => {
  let tmp: TempDir;
  let data: string;
  let socket: NotifySocket;
  let daemon: Daemon;
  let ready: NotifyMessage;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-notify');
    data = join(tmp.path, 'data');
    await writeBusyboxApp(join(tmp.path, 'apps'), PREFIX, 'web');
    socket = await listenForNotifications();
    daemon = startDaemon({
      apps: join(tmp.path, 'apps'), data, socket: podmanEnv().socket,
      env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: String(WATCHDOG_USEC), WATCHDOG_PID: undefined },
    });
    ready = await socket.waitFor(has('READY=1'), 'READY=1', 60_000);
  });

  afterAll(async () => {
    if (daemon) await daemon.stop();
    await socket?.close();
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a fresh node, when the daemon has decided its first plan, then READY=1 comes from its pid, after that plan is recorded', async () => {
    expect(ready.pid).toBe(daemon.pid);
    expect(ready.lines).toContain('STATUS=running: first plan decided, 1 action(s)');
    // The daemon says which plan made it ready: the first recorded one, which is in the log already.
    const said = /msg="daemon ready: first plan decided" actions=1 plan=(\d+)/.exec(daemon.output());
    expect(said, daemon.output()).not.toBeNull();
    const plans = (await runCli(['events', '--type', 'PlanDecided', '--json', '--data', data])).stdout.trim().split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: number });
    expect(plans[0]?.seq).toBe(Number(said?.[1]));
    expect(socket.messages.slice(0, socket.messages.indexOf(ready)).filter(has('READY=1'))).toEqual([]);
  });

  it('given WATCHDOG_USEC, when the daemon runs, then WATCHDOG=1 comes from its pid every WATCHDOG_USEC/2', async () => {
    const since = Date.now();
    await socket.waitFor((m) => m.at >= since && socket.messages.filter((x) => x.at >= since && has('WATCHDOG=1')(x)).length >= 4, 'four WATCHDOG=1', 10_000);
    const pings = socket.messages.filter(has('WATCHDOG=1'));
    expect(new Set(pings.map((m) => m.pid))).toEqual(new Set([daemon.pid]));
    const gaps = pings.slice(1).map((m, i) => m.at - pings[i]!.at).slice(-3);
    for (const gap of gaps) expect(gap).toBeLessThan(WATCHDOG_USEC / 1000); // within the timeout, so systemd never fires it
    expect(await running(`${PREFIX}-web`)).toBeTruthy();
  });

  it('given a ready daemon, when it gets SIGTERM, then STOPPING=1 comes from its pid and it exits 0', async () => {
    expect(await daemon.stop()).toBe(0);
    const stopping = await socket.waitFor(has('STOPPING=1'), 'STOPPING=1', 5_000);
    expect(stopping.pid).toBe(daemon.pid);
    expect(stopping.lines).toContain('STATUS=stopping (SIGTERM)');
    expect(socket.messages.indexOf(stopping)).toBeGreaterThan(socket.messages.indexOf(ready));
  });
});
