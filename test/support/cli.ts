// Helpers to run the built CLI (`node bin/podledger.js`, which loads dist/: scripts/setup.sh builds
// it) as a user would: one-shot commands, and the daemon as a child process.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, signalNumber, type CommandResult } from './process.js';

export type { CommandResult } from './process.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO_ROOT, 'bin', 'podledger.js');

export interface RunOptions {
  cwd?: string;
  /** added to (and overriding) the test process's environment */
  env?: Record<string, string | undefined>;
  input?: string;
  /** default 60 s; the child is killed and the call throws past it */
  timeoutMs?: number;
}

/** `node bin/podledger.js ...args`; resolves with its output and exit code, never throws on non-zero. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

export interface DaemonOptions {
  apps: string;
  data: string;
  socket: string;
  hostFacts?: string;
  secrets?: string;
  extraArgs?: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export interface Daemon {
  pid: number;
  /** stdout and stderr so far, interleaved in arrival order */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** resolves with the matching output once it appears; rejects on timeout or if the daemon exits first */
  waitForOutput(pattern: string | RegExp, opts?: { timeoutMs?: number }): Promise<string>;
  /** exit code once the daemon has exited by itself or been stopped; null while it runs */
  exitCode(): number | null;
  /** SIGTERM, then wait for the exit; after 15 s it is killed with SIGKILL and stop() throws */
  stop(): Promise<number>;
}

const running = new Set<{ pid: number; kill(): void }>();
process.on('exit', () => {
  for (const d of running) d.kill(); // never leave a daemon behind a crashed test file
});

const STOP_TIMEOUT_MS = 15_000;

/** Spawn `podledger daemon` with the given dirs; its output is collected for assertions. */
export function startDaemon(opts: DaemonOptions): Daemon {
  const args = ['daemon', '--apps', opts.apps, '--data', opts.data, '--podman-socket', opts.socket];
  if (opts.hostFacts !== undefined) args.push('--host-facts', opts.hostFacts);
  if (opts.secrets !== undefined) args.push('--secrets', opts.secrets);
  args.push(...(opts.extraArgs ?? []));
  return startCli(args, opts);
}

/** Spawn any long-running `podledger` command (`daemon`, `events --follow`): output collected, stopped by SIGTERM. */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Daemon {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start podledger ${args.join(' ')}`);
  const pid = child.pid;
  let all = '';
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout.on('data', (c: Buffer) => ((out += c.toString()), (all += c.toString()), notify()));
  child.stderr.on('data', (c: Buffer) => ((err += c.toString()), (all += c.toString()), notify()));

  let code: number | null = null;
  const handle = { pid, kill: () => child.kill('SIGKILL') };
  running.add(handle);
  const exited = new Promise<number>((resolveExit) => {
    child.on('close', (c, signal) => {
      code = c ?? 128 + signalNumber(signal);
      running.delete(handle);
      notify();
      resolveExit(code);
    });
  });

  const describe = () => `podledger ${args.join(' ')} (pid ${pid})`;

  return {
    pid,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    exitCode: () => code,
    waitForOutput(pattern, { timeoutMs = 30_000 } = {}) {
      const find = () => {
        if (typeof pattern === 'string') return all.includes(pattern) ? pattern : undefined;
        return all.match(pattern)?.[0];
      };
      return new Promise((resolveWait, rejectWait) => {
        const check = () => {
          const hit = find();
          if (hit !== undefined) return done(() => resolveWait(hit));
          if (code !== null) return done(() => rejectWait(new Error(`${describe()} exited ${code} before printing ${String(pattern)}; output:\n${all}`)));
        };
        const timer = setTimeout(
          () => done(() => rejectWait(new Error(`${describe()} did not print ${String(pattern)} within ${timeoutMs} ms; output:\n${all}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (code !== null) return code;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS)));
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`${describe()} did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM and was killed; output:\n${all}`);
      }
      return result;
    },
  };
}

export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir; `cleanup()` removes it and everything in it. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `${prefix.replace(/[^A-Za-z0-9_.-]/g, '-')}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 3 }) };
}
