// Telling systemd how the daemon is (sd_notify(3)): READY=1 once the first plan is decided, STATUS=
// lines, WATCHDOG=1 pings while it lives, STOPPING=1 when it stops. Only under a unit that asks for
// it: without $NOTIFY_SOCKET every call does nothing.
//
// The protocol is a datagram on an AF_UNIX socket, which Node cannot send (node:dgram has no unix
// sockets; node:net only streams). Rather than a native addon (a compiler on every node that installs
// podledger), each message is handed to `systemd-notify`, present wherever there is a systemd to
// notify. `--pid=<our pid>` makes it send with our pid as its credentials, so a unit with
// NotifyAccess=main accepts it; that takes CAP_SYS_ADMIN (root has it). Without it, systemd-notify
// sends as itself, and the unit needs NotifyAccess=all (docs/service.md).
import { execFile } from 'node:child_process';
import type { Logger } from './logger.js';

export interface Notifier {
  /** READY=1: start-up is complete (the first plan is decided); `status` also goes out as STATUS= */
  ready(status: string): void;
  status(status: string): void;
  /** STOPPING=1; watchdog pings go on until close(), so a slow stop is not taken for a hang */
  stopping(status: string): void;
  /** stop the watchdog pings; resolves once every message handed over has been sent (or failed) */
  close(): Promise<void>;
}

/** How long one systemd-notify may take: it waits for systemd to have read the message. */
const SEND_TIMEOUT_MS = 5_000;

/**
 * How often to ping the watchdog, per sd_watchdog_enabled(3): half of WATCHDOG_USEC, when it is set
 * and WATCHDOG_PID is unset or names this process. Undefined: no watchdog is asked for.
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2_000));
}

/** One line of STATUS=: systemd takes a message line by line, so a newline would end it early. */
const statusLine = (text: string) => `STATUS=${text.replace(/[\r\n]+/g, ' ').slice(0, 200)}`;

const noop: Notifier = { ready() {}, status() {}, stopping() {}, close: () => Promise.resolve() };

export interface NotifierOptions {
  pid?: number;
  /** the program that sends a message; default `systemd-notify` from $PATH */
  command?: string;
}

export function systemdNotifier(env: NodeJS.ProcessEnv, log: Logger, o: NotifierOptions = {}): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return noop;
  const pid = o.pid ?? process.pid;
  const command = o.command ?? 'systemd-notify';
  let warned = false;
  // One at a time, in order: READY=1 must not overtake the STATUS= before it, nor STOPPING=1 it.
  let queue = Promise.resolve();
  const send = (...lines: string[]) => {
    queue = queue.then(() => new Promise<void>((resolve) => {
      execFile(command, [`--pid=${pid}`, ...lines], { timeout: SEND_TIMEOUT_MS, env: { ...env, NOTIFY_SOCKET: socket } }, (err, _out, stderr) => {
        if (err && !warned) {
          warned = true; // once: a failing watchdog ping would otherwise say it twice a WatchdogSec
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${command}: not found` : `${err.message.split('\n')[0] ?? ''} ${stderr.trim()}`.trim();
          log.error(`telling systemd failed: ${lines.join(' ')} to ${socket}: ${why}; install systemd's systemd-notify, or unset NOTIFY_SOCKET when not run by systemd`, {});
        }
        resolve();
      });
    }));
  };
  const every = watchdogInterval(env, pid);
  const watchdog = every === undefined ? undefined : setInterval(() => send('WATCHDOG=1'), every);
  // The pings alone must not keep a daemon that failed to start alive.
  watchdog?.unref();
  if (watchdog) send('WATCHDOG=1');
  return {
    ready: (status) => send('READY=1', statusLine(status)),
    status: (status) => send(statusLine(status)),
    stopping: (status) => send('STOPPING=1', statusLine(status)),
    async close() {
      clearInterval(watchdog);
      await queue;
    },
  };
}
