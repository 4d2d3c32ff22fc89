// Damaged exports given to the offline commands through the built CLI (fast-check; no podman needed):
// each exits 0 or 1, never with a stack trace, and either refuses the file as not a log (one line) or
// reads it and names its rejected lines in one summary. The table of single bad inputs is in
// ./cli-errors.test.ts; test/unit/fuzz/log-inputs.test.ts fuzzes `replay --check` in process.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNdjson } from '../../src/log/ndjson.js';
import type { ReadItem } from '../../src/log/store.js';
import { makeTempDir, runCli, type TempDir } from '../support/cli.js';
import { damagedLog } from '../unit/fuzz/logs.js';

const EXIT = { ok: 0, invalid: 1 } as const;
/** The environment's defaults must not leak in: every path is on the command line. */
const CLEAN_ENV = { PODLEDGER_DATA: undefined, PODLEDGER_PODMAN_SOCKET: undefined, PODLEDGER_POLICY: undefined, PODLEDGER_DEBUG: undefined };
/** A stack frame, as node prints them. */
const STACK = /^\s+at \S/m;

describe('damaged logs given to the offline commands (fast-check; the built CLI, no podman needed)', () => {
  /** Cases: each runs replay, events and why on one damaged log (CLI_FUZZ_RUNS for a longer run). */
  const runs = Number(process.env.CLI_FUZZ_RUNS ?? 12);
  let dir: TempDir;

  beforeAll(async () => {
    dir = await makeTempDir('podledger-cli-fuzz');
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('given a damaged export, when replay --log, events --log and why APP [--all] --log read it, then each exits 0 or 1, never with a stack trace, and either refuses the file (most of it undecodable) or names its rejected lines in one summary (their count and the first five; why without --all only those it read)', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(damagedLog(25, 6), async ({ bytes }) => {
      n += 1;
      const file = join(dir.path, `damaged-${n}.ndjson`);
      await writeFile(file, bytes);
      const items: ReadItem[] = [];
      for await (const item of readNdjson(file)) items.push(item);
      const badLines = items.flatMap((item) => (item.ok ? [] : [item.line!]));

      // `why APP` reads only what its last entry needs (newest first, stopping at the app's last action),
      // so it counts the bad lines it met; `why APP --all` reads all of the app's lines, as replay and events read all.
      const commands = [['replay'], ['events'], ['why', 'alpha', '--all'], ['why', 'alpha']];
      const results = await Promise.all(commands.map((c) => runCli([...c, '--log', file, '--data', join(dir.path, 'none')], { env: CLEAN_ENV })));
      results.forEach((r, i) => {
        const shown = `podledger ${commands[i]!.join(' ')} --log ${file}\nexit ${r.code}\nstderr: ${r.stderr.slice(0, 2000)}`;
        expect(STACK.test(r.stderr) || STACK.test(r.stdout), `a stack trace:\n${shown}`).toBe(false);
        expect([EXIT.ok, EXIT.invalid], shown).toContain(r.code);
        for (const l of r.stderr.split('\n').filter(Boolean)) expect(l, shown).toMatch(/^podledger: /);
        if (/: read event log: --log .*: (not a podledger log|mostly undecodable): /.test(r.stderr)) {
          expect(r.code, shown).toBe(EXIT.invalid);
          expect(r.stderr.trim().split('\n'), `one line:\n${shown}`).toHaveLength(1);
          expect(badLines.length > 0 || items.length === 0, `refused without a bad line:\n${shown}`).toBe(true);
          return;
        }
        const summary = /: (\d+) lines? cannot be decoded \((?:lines ([\d, ]+?)(?:, … (\d+) more)?; the first|line (\d+): )/.exec(r.stderr);
        expect(r.stderr.match(/cannot be decoded/g)?.length ?? 0, `one summary at most:\n${shown}`).toBeLessThanOrEqual(1);
        const count = summary ? Number(summary[1]) : 0;
        const listed = summary ? (summary[2] ?? summary[4]!).split(', ').map(Number) : [];
        for (const line of listed) expect(badLines, `line ${line} is named as rejected but is not:\n${shown}`).toContain(line);
        if (commands[i]!.length !== 2) {
          expect(count, `every rejected line counted:\n${shown}`).toBe(badLines.length);
          expect(listed, `the first five named:\n${shown}`).toEqual(badLines.slice(0, 5));
        } else {
          expect(count, shown).toBeLessThanOrEqual(badLines.length);
        }
      });
    }), { numRuns: runs });
  }, Math.max(240_000, runs * 20_000));
});
