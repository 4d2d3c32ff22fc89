// `replay --check` passes only when it compared something and read everything; undecodable lines are
// told once, summarised; points that a log does not hold are errors, not clamped to its end.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_LOG } from '../../support/bad-logs.js';
import { REPO_ROOT } from '../../support/cli.js';
import { run } from './run.js';
import { TODAY } from '../../../src/core/replay.js';

const AGREE = "replay --check: 5 recorded decision(s) re-planned by today's planner: all agree\n";

describe('replay --check', () => {
  let dir = '';
  let lines: string[] = [];
  const write = async (name: string, body: string[]): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, body.map((l) => `${l}\n`).join(''));
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-replay-check-'));
    lines = (await readFile(REAL_LOG, 'utf8')).trimEnd().split('\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('given every recorded scenario in events/ (those replay/ holds expectations for), then each agrees and says how many decisions it checked', async () => {
    const scenarios = (await readdir(join(REPO_ROOT, 'replay'))).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(scenarios.length).toBeGreaterThanOrEqual(8);
    for (const name of scenarios) {
      const r = await run(['replay', '--check', '--log', join(REPO_ROOT, 'events', `${name}.ndjson`)]);
      const expected = JSON.parse(await readFile(join(REPO_ROOT, 'replay', `${name}.json`), 'utf8')) as { decisions: number };
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(`replay --check: ${expected.decisions} recorded decision(s) re-planned by today's planner: all agree\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('given every log shipped in events/, including one an earlier podledger wrote, when checked through the CLI, then each passes', async () => {
    const logs = (await readdir(join(REPO_ROOT, 'events'))).filter((f) => f.endsWith('.ndjson'));
    expect(logs).toContain('v0.1-dev-demo-host-ip-change.ndjson');
    for (const log of logs) {
      const r = await run(['replay', '--check', '--log', join(REPO_ROOT, 'events', log)]);
      expect(r.code, `${log}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout, log).toMatch(/recorded decision\(s\) re-planned by today's planner: all agree\n$/);
    }
  });

  it('given a log written by another fold and hash version, when checked, then it says so once, naming both versions, and compares the decisions without the state hashes', async () => {
    const r = await run(['replay', '--check', '--log', join(REPO_ROOT, 'events', 'v0.1-dev-demo-host-ip-change.ndjson')]);
    expect(r.code, r.stderr).toBe(0);
    const note = r.stdout.split('\n').filter((l) => l.includes('written by another podledger'));
    expect(note).toHaveLength(1);
    expect(note[0]).toContain('boot 1 (fold 1, hash 1)');
    expect(note[0]).toContain(`today's is fold ${TODAY.foldVersion}, hash ${TODAY.hashVersion}`);
    const j = await run(['replay', '--check', '--json', '--log', join(REPO_ROOT, 'events', 'v0.1-dev-demo-host-ip-change.ndjson')]);
    expect(JSON.parse(j.stdout)).toMatchObject({ otherVersions: [{ boot: 1, foldVersion: 1, hashVersion: 1 }], today: TODAY, divergence: null });
  });

  it('given a log that holds no recorded plan, then exit 1: nothing was checked, and why; with --json the counts on stdout and the same line', async () => {
    const file = await write('no-plans.ndjson', lines.filter((l) => !l.includes('"PlanDecided"')));
    const r = await run(['replay', '--check', '--log', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.errorLines).toEqual(['podledger: replay --check: nothing was checked: the log holds no recorded plans (PlanDecided events); give the log of a node whose daemon planned']);
    const j = await run(['replay', '--check', '--json', '--log', file]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual({ checked: 0, skipped: 0, undecodable: 0, otherVersions: [], today: TODAY, divergence: null });
    expect(j.errorLines).toEqual(r.errorLines);
  });

  it('given --until before the first recorded plan, then nothing was checked up to that seq', async () => {
    const r = await run(['replay', '--check', '--until', '5', '--log', REAL_LOG]);
    expect(r.code).toBe(1);
    expect(r.errorLines).toEqual(['podledger: replay --check: nothing was checked: the log holds no recorded plans (PlanDecided events) up to #5; give the log of a node whose daemon planned']);
  });

  it('given a real log, then exit 0 and the count', async () => {
    const r = await run(['replay', '--check', '--log', REAL_LOG]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, AGREE, '']);
  });

  it('given one undecodable line after the last plan, then --check exits 1 naming it (the log is not fully checked); plain replay warns once and exits 0', async () => {
    const file = await write('last-line-bad.ndjson', [...lines.slice(0, 22), '{"seq":23,"oops"']);
    const r = await run(['replay', '--check', '--log', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^replay --check: 5 recorded decision\(s\) re-planned by today's planner agree, but the log was not read whole: 1 line cannot be decoded \(line 23: not JSON: /);
    expect(r.errorLines).toHaveLength(1);
    expect(r.errorLines[0]).toMatch(new RegExp(`^podledger: replay --check: ${file}: 1 line cannot be decoded \\(line 23: not JSON: .*\\), so the log cannot be fully checked; repair or remove those lines \\(replay without --check reads the rest\\)$`));
    const plain = await run(['replay', '--log', file]);
    expect(plain.code).toBe(0);
    expect(plain.errorLines).toHaveLength(1);
    expect(plain.errorLines[0]).toMatch(new RegExp(`^podledger: ${file}: 1 line cannot be decoded \\(line 23: not JSON: .*\\); it is left out$`));
  });

  it('given an undecodable line before a plan, then the divergence it causes is reported, saying lines were left out', async () => {
    const file = await write('event-lost.ndjson', [...lines.slice(0, 4), 'garbage', ...lines.slice(5)]);
    const r = await run(['replay', '--check', '--log', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^replay --check: decision #6 diverges/);
    expect(r.errorLines).toEqual([
      `podledger: ${file}: 1 line cannot be decoded (line 5: not JSON: Unexpected token 'g', "garbage" is not valid JSON); it is left out`,
      'podledger: replay --check: decision #6 diverges (the log has lines that cannot be decoded, said above: their events are missing from the fold, which may be why)',
    ]);
  });

  it('given many undecodable lines among more good ones, then one summary: the count, the first five, the first reason', async () => {
    const body = [...lines, ...lines.map((l) => l.replace(/"seq":(\d+)/, (_, n: string) => `"seq":${Number(n) + 23}`))];
    for (const i of [30, 31, 33, 35, 37, 39, 41, 43]) body[i] = `bad ${i + 1}`;
    const file = await write('many-bad.ndjson', body);
    for (const c of [['replay'], ['events'], ['why', 'fedimint', '--all'], ['status'], ['diff', '1', '2'], ['export']]) {
      const r = await run([...c, '--log', file]);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.errorLines, c.join(' ')).toEqual([
        `podledger: ${file}: 8 lines cannot be decoded (lines 31, 32, 34, 36, 38, … 3 more; the first: line 31: not JSON: Unexpected token 'b', "bad 31" is not valid JSON); they are left out`,
      ]);
    }
  });

  it('given a line quoting terminal escapes, then the warning shows them escaped', async () => {
    const file = await write('escapes.ndjson', [...lines.slice(0, 22), '\u001b]0;pwned\u0007\u001b[2J']);
    const r = await run(['replay', '--log', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/\u001b/); // eslint-disable-line no-control-regex
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
  });
});

describe('points a log does not hold', () => {
  const cases: { args: string[]; line: string }[] = [
    { args: ['replay', '--boot', '7'], line: 'replay: --boot 7: the log holds no boot 7; its boots are 1' },
    { args: ['replay', '--until', '999'], line: 'replay: --until 999: the log ends at #23; give a seq from 0 to 23' },
    { args: ['replay', '--check', '--until', '24'], line: 'replay: --until 24: the log ends at #23; give a seq from 0 to 23' },
    { args: ['replay', '--at', '999'], line: 'replay: --at 999: the log ends at #23; give a seq from 0 to 23' },
    { args: ['diff', 'boot:3', '5'], line: 'diff: boot:3: the log holds no boot 3; its boots are 1' },
    { args: ['diff', '1', '99'], line: 'diff: 99: the log ends at #23; give a seq from 0 to 23' },
    { args: ['export', '--boot', '4'], line: 'export: --boot 4: the log holds no boot 4; its boots are 1' },
    { args: ['export', '--boot', '9'], line: 'export: --boot 9: the log holds no boot 9; its boots are 1' },
    { args: ['diff', 'boot:1', 'boot:9'], line: 'diff: boot:9: the log holds no boot 9; its boots are 1' },
    { args: ['events', '--boot', '9'], line: 'events: --boot 9: the log holds no boot 9; its boots are 1' },
    { args: ['events', '--since', '999'], line: 'events: --since 999: the log ends at #23; give a seq from 0 to 23' },
    { args: ['events', '--until', '999'], line: 'events: --until 999: the log ends at #23; give a seq from 0 to 23' },
    { args: ['why', 'nosuchapp', '--at', '999'], line: 'why: --at 999: the log ends at #23; give a seq from 0 to 23' },
  ];
  for (const c of cases) {
    it(`given ${c.args.join(' ')} on a one-boot log of 23 events, then exit 1: ${c.line}`, async () => {
      const r = await run([...c.args, '--log', REAL_LOG]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.errorLines).toEqual([`podledger: ${c.line}`]);
    });
  }

  it('given points the log holds, then they are used: --at 12 is seq 12 (not a day of 2001), --boot 1 and --until 23 the end', async () => {
    expect((await run(['replay', '--at', '12', '--log', REAL_LOG])).stdout).toMatch(/^replayed 12 events up to #12 \(boot 1\)/);
    expect((await run(['replay', '--boot', '1', '--log', REAL_LOG])).stdout).toMatch(/^replayed 23 events up to #23 \(boot 1\)/);
    expect((await run(['replay', '--until', '23', '--log', REAL_LOG])).stdout).toMatch(/^replayed 23 events up to #23 \(boot 1\)/);
    expect((await run(['replay', '--until', '0', '--log', REAL_LOG])).stdout).toMatch(/^replayed 0 events up to #0 \(boot 0\)/);
    expect((await run(['diff', '1', '23', '--log', REAL_LOG])).code).toBe(0);
  });
});
