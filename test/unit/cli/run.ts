// Runs the command line in this process (src/cli/program.ts `main`, from sources: no build needed),
// capturing what it writes, its exit code and how long it took.
import { vi } from 'vitest';
import { main } from '../../../src/cli/program.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** stderr's lines, without commander's "(run with --help for usage)" hint */
  errorLines: string[];
  ms: number;
}

/** A stack frame, as node prints them. */
export const STACK = /^\s+at \S/m;

export async function run(args: string[]): Promise<Ran> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) => ((chunk: unknown) => { into.push(String(chunk)); return true; }) as typeof process.stdout.write;
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr));
  const started = performance.now();
  try {
    const code = await main(['node', 'podledger', ...args]);
    const err = stderr.join('');
    return {
      code, stdout: stdout.join(''), stderr: err, ms: performance.now() - started,
      errorLines: err.split('\n').filter((l) => l !== '' && l !== '(run with --help for usage)'),
    };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}
