import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemdNotifier, watchdogInterval } from '../../../src/daemon/notify.js';
import type { Logger } from '../../../src/daemon/logger.js';
import { canListen, has, listenForNotifications, type NotifySocket } from '../../support/notify-socket.js';

const quiet = (errors: string[] = []): Logger => ({ debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) });

describe('watchdogInterval', () => {
  it('given WATCHDOG_USEC and no WATCHDOG_PID, when asked, then it is half the timeout in ms', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
  });
  it('given WATCHDOG_PID naming another process, when asked, then there is no watchdog for this one', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
  });
  it('given no, zero or garbled WATCHDOG_USEC, when asked, then there is no watchdog', () => {
    for (const WATCHDOG_USEC of [undefined, '', '0', '-5', 'soon']) expect(watchdogInterval({ WATCHDOG_USEC }, 42)).toBeUndefined();
  });
});

describe('systemdNotifier', () => {
  it('given no NOTIFY_SOCKET, when used, then it sends nothing and spawns nothing', async () => {
    const errors: string[] = [];
    const n = systemdNotifier({}, quiet(errors), { command: '/nonexistent/systemd-notify' });
    n.ready('x');
    n.stopping('y');
    await n.close();
    expect(errors).toEqual([]);
  });

  it('given NOTIFY_SOCKET and no systemd-notify, when a message is sent, then one error says what failed and how to fix it', async () => {
    const errors: string[] = [];
    const n = systemdNotifier({ NOTIFY_SOCKET: '/run/nowhere.sock' }, quiet(errors), { command: '/nonexistent/systemd-notify' });
    n.ready('x');
    n.stopping('y');
    await n.close();
    expect(errors).toEqual([expect.stringMatching(/^telling systemd failed: READY=1 STATUS=x to \/run\/nowhere.sock: \/nonexistent\/systemd-notify: not found; install/)]);
  });

  const real = canListen() && spawnSync('systemd-notify', ['--version']).status === 0;
  describe.skipIf(!real)('over a real datagram socket', () => {
    let socket: NotifySocket;
    beforeEach(async () => (socket = await listenForNotifications()));
    afterEach(() => socket.close());

    it('given NOTIFY_SOCKET and WATCHDOG_USEC, when ready and stopping are told, then they arrive in order, as this process, with watchdog pings meanwhile', async () => {
      const n = systemdNotifier({ ...process.env, NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' }, quiet());
      n.ready('running: nothing to do');
      await socket.waitFor(has('READY=1'), 'READY=1');
      await socket.waitFor((m) => has('WATCHDOG=1')(m) && socket.messages.filter(has('WATCHDOG=1')).length >= 3, 'three WATCHDOG=1');
      n.stopping('stopping (SIGTERM)');
      await n.close();
      const ready = await socket.waitFor(has('READY=1'), 'READY=1');
      const stopping = await socket.waitFor(has('STOPPING=1'), 'STOPPING=1');
      expect(ready.lines).toContain('STATUS=running: nothing to do');
      expect(stopping.lines).toContain('STATUS=stopping (SIGTERM)');
      expect(socket.messages.indexOf(ready)).toBeLessThan(socket.messages.indexOf(stopping));
      // Sent with our pid as credentials, so a unit with NotifyAccess=main accepts them.
      const ours = socket.messages.filter((m) => m.lines.some((l) => /^(READY|STOPPING|WATCHDOG)=1$/.test(l)));
      expect(new Set(ours.map((m) => m.pid))).toEqual(new Set([process.pid]));
    });
  });
});
