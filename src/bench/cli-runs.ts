// Timing the command line as a user runs it: a fresh node per run, output discarded, commands in turns.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The command line, as a user runs it. */
export const BIN = fileURLToPath(new URL('../../bin/podledger.js', import.meta.url));

/** Ms of CPU the waited-for children of this process have used in user mode (/proc/self/stat's cutime). */
function childrenUserMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[13]) * (1000 / CLOCK_TICKS);
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * Each command (a fresh node each time, output discarded) run `rounds` times, the commands taking
 * turns so a busy moment of the machine falls on all of them alike: the best wall ms of each, and its
 * mean user CPU ms (less moved by other load than wall time).
 */
export function bestRuns(commands: string[][], rounds: number, env: NodeJS.ProcessEnv[] = []): { wall: number; user: number }[] {
  const best = commands.map(() => ({ wall: Infinity, user: 0 }));
  for (let r = 0; r < rounds; r++) {
    commands.forEach((args, i) => {
      const [t0, u0] = [performance.now(), childrenUserMs()];
      execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30, env: env[i] ?? process.env });
      best[i]!.wall = Math.min(best[i]!.wall, performance.now() - t0);
      best[i]!.user += (childrenUserMs() - u0) / rounds;
    });
  }
  return best;
}

