// Files that are not podledger logs, given to every offline command that reads one: each is refused
// with exit 1 and one line (what failed, which file, what it is instead, the fix), no stack trace,
// fast whatever the file's size, and nothing else printed. Before, a binary, an empty file or another
// JSON format was folded as 0 events: `replay --check --log /bin/ls` said "all agree" and exited 0.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBadLogs, type BadLog } from '../../support/bad-logs.js';
import { run, STACK } from './run.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const FIX = "; give --log the NDJSON file written by 'podledger export', or leave --log out to read the node's --data DIR";

/** Every offline command that reads --log, as the user would type it (FILE is the log). */
const COMMANDS: string[][] = [
  ['replay'], ['replay', '--check'], ['replay', '--check', '--json'], ['replay', '--until', '3'],
  ['why', 'fedimint'], ['why', 'fedimint', '--all'], ['why', 'fedimint', '--json'],
  ['events'], ['events', '--app', 'fedimint'], ['events', '--json'],
  ['diff', '1', '2'], ['status'], ['status', '--json'], ['export'],
];

describe('offline commands given a --log that is not a podledger log', () => {
  let dir = '';
  let bad: BadLog[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-bad-logs-'));
    bad = await writeBadLogs(dir, { huge: true });
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('given each kind of bad input, when each offline command reads it, then exit 1 and one line: read event log: --log FILE: what it is; the fix — within a second, even for 200 MB and 4 GiB', async () => {
    expect(bad.length).toBeGreaterThanOrEqual(16);
    // "Fast whatever the size" is judged against the same command refusing an empty file in this run:
    // reading 4 GiB would take far longer, while a loaded machine slows both alike.
    const empty = bad.find((b) => b.kind === 'empty file')!;
    const baseMs = new Map<string, number>();
    for (const c of COMMANDS) baseMs.set(c.join(' '), (await run([...c, '--log', empty.file, '--data', join(dir, 'no-data')])).ms);
    for (const b of bad) {
      for (const c of COMMANDS) {
        const r = await run([...c, '--log', b.file, '--data', join(dir, 'no-data')]);
        const shown = `${b.kind}: podledger ${c.join(' ')} --log ${b.file}\nexit ${r.code}\nstdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 1000)}`;
        expect(r.code, shown).toBe(1);
        expect(STACK.test(r.stderr), shown).toBe(false);
        expect(r.errorLines, shown).toHaveLength(1);
        expect(r.errorLines[0], shown).toMatch(new RegExp(`^podledger: read event log: --log ${escape(b.file)}: ${escape(b.reason)}.*${escape(FIX)}$`));
        expect(r.stdout, shown).toBe('');
        const base = baseMs.get(c.join(' '))!;
        expect(r.ms, shown).toBeLessThan(b.kind.startsWith('undecodable after') ? Math.max(5000, 20 * base) : Math.max(1000, 4 * base));
      }
    }
  }, 300_000);

  it('given each kind of bad input, when imported, then exit 1 and one line naming the file and the fix, and no data dir is made', async () => {
    const empty = bad.find((b) => b.kind === 'empty file')!;
    const baseMs = (await run(['import', empty.file, '--data', join(dir, 'import-target')])).ms;
    for (const b of bad) {
      const data = join(dir, 'import-target');
      const r = await run(['import', b.file, '--data', data]);
      const shown = `${b.kind}: podledger import ${b.file}\nexit ${r.code}\nstderr: ${r.stderr.slice(0, 1000)}`;
      expect(r.code, shown).toBe(1);
      expect(r.errorLines, shown).toHaveLength(1);
      if (b.kind.startsWith('undecodable after')) {
        // the start is a log: import takes the events up to the first bad line and stops there, naming it
        expect(r.errorLines[0], shown).toMatch(/^podledger: import events: line 151 \(seq 151\): bad envelope: .*fix it and import again \(150 events were imported/);
        await rm(data, { recursive: true, force: true });
        continue;
      }
      expect(r.errorLines[0], shown).toMatch(new RegExp(`^podledger: import events: ${escape(b.file)}: ${escape(b.reason)}.*; give the NDJSON file written by 'podledger export'$`));
      expect(r.ms, shown).toBeLessThan(Math.max(1000, 4 * baseMs));
      expect(await readdir(dir), shown).not.toContain('import-target');
    }
  }, 120_000);

  it('given a FIFO, a device or a folder as --log, then refused as before: one line saying what it is', async () => {
    for (const [what, file] of [['a device', '/dev/zero'], ['a folder', dir]] as const) {
      const r = await run(['replay', '--check', '--log', file]);
      expect(r.code, what).toBe(1);
      expect(r.errorLines, what).toEqual([`podledger: read event log: --log ${file}: ${what === 'a folder' ? 'is a folder, not a file' : 'not a regular file (a FIFO, socket or device)'}${FIX}`]);
    }
  });
});
