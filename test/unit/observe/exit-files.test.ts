// Where conmon writes exit codes: read from the command line of the conmon that is the parent of a
// container's main process. A stand-in conmon (a node process named conmon, with a child) plays it.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { exitDirOf } from '../../../src/observe/exit-files.js';

const started: ChildProcess[] = [];
afterEach(() => { for (const p of started.splice(0)) p.kill('SIGKILL'); });

/** A parent named `argv0` with `args`, whose child's pid it prints: the "container's main process". */
async function parentWithChild(argv0: string, args: string[]): Promise<number> {
  const script = "const c = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log(c.pid); process.on('SIGTERM', () => { c.kill(); process.exit(0); });";
  const p = spawn(process.execPath, ['-e', script, '--', ...args], { argv0, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(p);
  const line = await new Promise<string>((resolve) => p.stdout!.once('data', (b: Buffer) => resolve(b.toString())));
  const child = Number(line.trim());
  started.push({ kill: () => { try { process.kill(child, 'SIGKILL'); } catch { /* gone */ } } } as unknown as ChildProcess);
  return child;
}

describe('exitDirOf', () => {
  it('given a process whose parent is conmon run with --exit-dir, when asked, then it names that folder', async () => {
    const pid = await parentWithChild('/usr/bin/conmon', ['--api-version', '1', '--exit-dir', '/run/test-libpod/exits', '--persist-dir', '/x']);
    expect(await exitDirOf(pid)).toBe('/run/test-libpod/exits');
  });

  it('given a process whose parent is not conmon, or a conmon without --exit-dir, when asked, then it names nothing', async () => {
    expect(await exitDirOf(await parentWithChild('/usr/bin/not-conmon', ['--exit-dir', '/tmp/x']))).toBeUndefined();
    expect(await exitDirOf(await parentWithChild('conmon', ['--api-version', '1']))).toBeUndefined();
  });
});
