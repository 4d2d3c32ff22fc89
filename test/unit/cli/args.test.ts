// Every numeric (and time) option has a range: a value out of it is a usage error (exit 2) in one line
// naming the option, the value and the range, before anything is read or started. Before, `--until
// 1e400` or `99999999999999999999` were taken, `--resync 1e20` overflowed setTimeout (a re-read every
// millisecond), `--concurrency 1e9` was taken, and `--at 12` was a day of 2001.
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/cli/args.js';
import { REAL_LOG } from '../../support/bad-logs.js';
import { run, STACK } from './run.js';

const LOG = ['--log', REAL_LOG];
const SEQ = 'must be a whole number from 0 to 9007199254740991 (an event seq)';
const BOOT = 'must be a whole number from 0 to 9007199254740991 (a daemon run, as numbered in the log)';
const POINT = 'must be an event seq (1234) or a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)';
const TIME = 'must be a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)';
const ANY = 'must be an event seq (1234), boot:N (the end of boot N) or a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)';
const RESYNC = 'must be a number of seconds from 1 to 2147483 (about 24 days; longer does not fit a timer)';
const CONCURRENCY = 'must be a whole number from 1 to 256 (apps acted on at once)';

/** [arguments, the option as commander names it, the value, the range] */
const ROWS: [string[], string, string, string][] = [
  [['replay', ...LOG, '--until', '1e400'], '--until <seq>', '1e400', SEQ],
  [['replay', ...LOG, '--until', '99999999999999999999'], '--until <seq>', '99999999999999999999', SEQ],
  [['replay', ...LOG, '--until', '9007199254740992'], '--until <seq>', '9007199254740992', SEQ],
  [['replay', ...LOG, '--until', 'NaN'], '--until <seq>', 'NaN', SEQ],
  [['replay', ...LOG, '--until', '0x10'], '--until <seq>', '0x10', SEQ],
  [['replay', ...LOG, '--until', ''], '--until <seq>', '', SEQ],
  [['replay', ...LOG, '--until', ' 5'], '--until <seq>', ' 5', SEQ],
  [['replay', ...LOG, '--boot', '-1'], '--boot <n>', '-1', BOOT],
  [['replay', ...LOG, '--boot', '1.5'], '--boot <n>', '1.5', BOOT],
  [['replay', ...LOG, '--at', '12.5'], '--at <seq|time>', '12.5', POINT],
  [['replay', ...LOG, '--at', 'Infinity'], '--at <seq|time>', 'Infinity', POINT],
  [['replay', ...LOG, '--at', '2026-13-45'], '--at <seq|time>', '2026-13-45', POINT],
  [['events', ...LOG, '--since', '99999999999999999999'], '--since <seq|time>', '99999999999999999999', SEQ],
  [['events', ...LOG, '--until', '1e3'], '--until <seq|time>', '1e3', POINT],
  [['events', ...LOG, '--boot', '0x1'], '--boot <n>', '0x1', BOOT],
  [['why', 'fedimint', ...LOG, '--at', '-5'], '--at <seq|time>', '-5', POINT],
  [['export', ...LOG, '--boot', '1e9'], '--boot <n>', '1e9', BOOT],
  [['events', ...LOG, '--type', 'planDecided'], '--type <type...>', 'planDecided', 'not an event type; did you mean PlanDecided?'],
  [['events', ...LOG, '--type', 'ActionFailed', 'ActonStarted'], '--type <type...>', 'ActonStarted', 'not an event type; did you mean ActionStarted?'],
  [['events', ...LOG, '--type', 'NoSuchType'], '--type <type...>', 'NoSuchType', `not an event type; the types are ${EVENT_TYPES.join(', ')}`],
  [['daemon', '--resync', '1e20'], '--resync <seconds>', '1e20', RESYNC],
  [['daemon', '--resync', '2147484'], '--resync <seconds>', '2147484', RESYNC],
  [['daemon', '--resync', '0'], '--resync <seconds>', '0', RESYNC],
  [['daemon', '--resync', '0.5'], '--resync <seconds>', '0.5', RESYNC],
  [['daemon', '--resync', 'NaN'], '--resync <seconds>', 'NaN', RESYNC],
  [['daemon', '--concurrency', '0'], '--concurrency <n>', '0', CONCURRENCY],
  [['daemon', '--concurrency', '1e9'], '--concurrency <n>', '1e9', CONCURRENCY],
  [['daemon', '--concurrency', '257'], '--concurrency <n>', '257', CONCURRENCY],
  [['daemon', '--concurrency', '2.5'], '--concurrency <n>', '2.5', CONCURRENCY],
  [['daemon', '--snapshot-every', '1e400'], '--snapshot-every <events>', '1e400', 'must be a whole number from 1 to 100000000 (events between snapshots)'],
  [['compact', '--keep-boots', '1e9'], '--keep-boots <n>', '1e9', 'must be a whole number from 0 to 1000000 (daemon runs to keep)'],
  [['compact', '--keep-boots', '1000001'], '--keep-boots <n>', '1000001', 'must be a whole number from 0 to 1000000 (daemon runs to keep)'],
  [['compact', '--before', '12'], '--before <time>', '12', TIME],
  [['compact', '--before', 'Nov 27 2026'], '--before <time>', 'Nov 27 2026', TIME],
  [['replay', ...LOG, '--at', 'Nov 27 2026'], '--at <seq|time>', 'Nov 27 2026', POINT],
  [['replay', ...LOG, '--at', 'boot:1'], '--at <seq|time>', 'boot:1', POINT],
  [['replay', ...LOG, '--at', '2026-02-30'], '--at <seq|time>', '2026-02-30', POINT],
  [['events', ...LOG, '--since', 'Nov 27 2026'], '--since <seq|time>', 'Nov 27 2026', POINT],
  [['events', ...LOG, '--since', '10M'], '--since <seq|time>', '10M', POINT],
  [['events', ...LOG, '--until', '1w'], '--until <seq|time>', '1w', POINT],
  [['why', 'fedimint', ...LOG, '--at', 'Nov 27 2026'], '--at <seq|time>', 'Nov 27 2026', POINT],
];

describe('numeric and time options out of their range', () => {
  for (const [args, option, value, range] of ROWS) {
    it(`given podledger ${args.filter((a) => a !== REAL_LOG).join(' ')}, then exit 2: ${option} '${value}' ${range}`, async () => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(2);
      expect(STACK.test(r.stderr)).toBe(false);
      expect(r.errorLines).toEqual([`error: option '${option}' argument '${value}' is invalid. ${range}`]);
      expect(r.stdout).toBe('');
      expect(r.ms).toBeLessThan(1000);
    });
  }

  it('given diff points that are not points (unsafe seqs, a bare decimal, hex, a date in words), then exit 2 naming the point and the forms', async () => {
    for (const p of ['boot:99999999999999999999', '12.5', '0x10', '1e3', 'Nov 27 2026', '2026-02-30']) {
      const r = await run(['diff', p, '1', ...LOG]);
      expect(r.code, p).toBe(2);
      expect(r.errorLines, p).toEqual([`error: command-argument value '${p}' is invalid for argument 'from'. ${ANY}`]);
    }
    const r = await run(['diff', '1', '99999999999999999999', ...LOG]);
    expect(r.errorLines).toEqual([`error: command-argument value '99999999999999999999' is invalid for argument 'to'. ${SEQ}`]);
  });

  it('given PODLEDGER_SNAPSHOT_EVERY out of range, then the same usage error naming the variable', async () => {
    process.env.PODLEDGER_SNAPSHOT_EVERY = '0';
    try {
      const r = await run(['daemon']);
      expect(r.code).toBe(2);
      expect(r.errorLines).toEqual(["error: option '--snapshot-every <events>' value '0' from env 'PODLEDGER_SNAPSHOT_EVERY' is invalid. must be a whole number from 1 to 100000000 (events between snapshots)"]);
    } finally {
      delete process.env.PODLEDGER_SNAPSHOT_EVERY;
    }
  });

  it('given values in range, then they are taken (the edges included)', async () => {
    expect((await run(['replay', ...LOG, '--until', '0'])).code).toBe(0);
    expect((await run(['replay', ...LOG, '--at', '2026-11-27T10:14:00.157Z'])).code).toBe(0);
    expect((await run(['events', ...LOG, '--since', '22', '--until', '23'])).code).toBe(0);
    expect((await run(['events', ...LOG, '--since', '10m'])).code).toBe(0);
    expect((await run(['events', ...LOG, '--type', 'PlanDecided', 'BootStarted'])).stdout.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    expect((await run(['replay', ...LOG, '--at', '3d'])).code).toBe(0);
    expect((await run(['diff', 'boot:1', '2026-11-27T10:14:00Z', ...LOG])).code).toBe(0);
    expect((await run(['compact', '--keep-boots', '1000000', '--data', '/nonexistent/podledger'])).code).toBe(1); // past parsing: no data there
  });
});
