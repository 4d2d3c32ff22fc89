// Running a child process to completion, for tests: output and exit code, a hard time limit.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** exit code; 128 + signal number when killed by a signal */
  code: number;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** the child is killed and the call throws past it */
  timeoutMs: number;
}

/** Never throws on a non-zero exit: check `code`. Throws if it cannot start or runs out of time. */
export function runCommand(command: string, args: string[], opts: RunCommandOptions): Promise<CommandResult> {
  const label = `${command} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not finish within ${opts.timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${label}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? 128 + signalNumber(signal) });
    });
    child.stdin.on('error', () => undefined); // a child that exits without reading its input: not our failure
    child.stdin.end(opts.input ?? '');
  });
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
