// The daemon under the podman bench: started as the systemd unit runs it (its node flags), with
// its log at debug level when BENCH_DAEMON_LOG names a folder (the start-up phases are in it).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PodmanService } from './podman-service.js';

// BENCH_DAEMON_CLI: another build's bin/podledger.js, to measure its daemon with this bench
const CLI = process.env.BENCH_DAEMON_CLI ?? fileURLToPath(new URL('../../bin/podledger.js', import.meta.url));

export interface Daemon { proc: ChildProcess; data: string; nodeFlags: string[]; stop(): Promise<void> }

const UNIT = fileURLToPath(new URL('../../packaging/podledger.service', import.meta.url));

/**
 * The node flags the systemd unit runs the daemon with (its `Environment=NODE_OPTIONS=…`), read from
 * the unit itself, so the bench measures the daemon as it is installed.
 */
export function unitNodeFlags(unit: string): string[] {
  const line = unit.split('\n').map((l) => l.trim()).find((l) => l.startsWith('Environment=NODE_OPTIONS='));
  return (line?.slice('Environment=NODE_OPTIONS='.length).replace(/^"|"$/g, '') ?? '').split(' ').filter(Boolean);
}

/** BENCH_DAEMON_NODE_FLAGS overrides the unit's (`''`: none, node's defaults), to measure other flags. */
async function daemonNodeFlags(): Promise<string[]> {
  const flags = process.env.BENCH_DAEMON_NODE_FLAGS;
  return flags !== undefined ? flags.split(' ').filter(Boolean) : unitNodeFlags(await readFile(UNIT, 'utf8'));
}

export async function startDaemon(p: PodmanService, apps: string, data: string): Promise<Daemon> {
  const flags = await daemonNodeFlags();
  // BENCH_DAEMON_LOG=DIR: the daemon's log at debug level (its start-up phases) in DIR/<data dir's name>.log
  const logDir = process.env.BENCH_DAEMON_LOG;
  const logFd = logDir ? openSync(path.join(logDir, `${path.basename(data)}.log`), 'w') : undefined;
  const debug = logDir ? ['--log-level', 'debug'] : [];
  const proc = spawn(process.execPath, [...flags, CLI, 'daemon', '--apps', apps, '--data', data, '--podman-socket', p.socket, '--policy', path.join(p.dir, 'policy.yml'), ...debug], { env: unitEnv(), stdio: ['ignore', 'ignore', logFd ?? 'ignore'] });
  if (logFd !== undefined) closeSync(logFd);
  return {
    proc, data, nodeFlags: flags,
    stop: () => new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

/**
 * The bench's environment less what systemd would not pass the unit: a service starts with a clean
 * environment, and NODE_EXTRA_CA_CERTS (set on some build machines) makes node parse a CA bundle
 * before any JavaScript runs, ~60 ms of the daemon's start-up that no installed daemon pays.
 */
export function unitEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.NODE_EXTRA_CA_CERTS;
  return out;
}
