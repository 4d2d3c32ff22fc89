// The daemon's log lines: logfmt that a strict reader parses back to the same values, JSON objects
// with stable keys, syslog priority prefixes under journald, and the level filter.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, logfmt, onJournal, type LoggerOptions } from '../../../src/daemon/logger.js';
import { parseLogfmt } from '../../support/logfmt.js';

const T = Date.UTC(2026, 11, 2, 10, 0, 0);

/** A logger writing into an array of lines. */
function captured(o: LoggerOptions = {}) {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  return { lines, log: createLogger({ clock: () => T, journal: false, out, ...o }) };
}

describe('daemon log lines', () => {
  it('given a message and fields, when logged as text, then the line is logfmt with time, level and msg first', () => {
    const { lines, log } = captured();
    log.info('podman reachable', { socket: '/run/podman/podman.sock', version: '4.3.1' });
    expect(lines).toEqual(['time=2026-12-02T10:00:00.000Z level=info msg="podman reachable" socket=/run/podman/podman.sock version=4.3.1']);
  });

  it.each([
    ['a space', 'a b', '"a b"'],
    ['an equals sign', 'a=b', '"a=b"'],
    ['a quote', 'say "hi"', '"say \\"hi\\""'],
    ['a backslash', 'C:\\x', '"C:\\\\x"'],
    ['a newline (no forged second line)', 'one\nlevel=error msg=forged', '"one\\nlevel=error msg=forged"'],
    ['an escape sequence', '\u001b[31mred', '"\\u001b[31mred"'],
    ['nothing', '', '""'],
  ])('given a value with %s, when formatted, then it is quoted and escaped and reads back the same', (_what, value, written) => {
    const line = logfmt({ msg: value });
    expect(line).toBe(`msg=${written}`);
    expect(parseLogfmt(line)).toEqual({ msg: value });
  });

  it('given any strings as keys and values, when formatted, then a strict logfmt reader gets every value back on one line', () => {
    fc.assert(fc.property(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.string({ unit: 'binary' })), (record) => {
      const line = logfmt(record);
      expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(parseLogfmt(line)).toEqual(record);
    }), { numRuns: 500 });
  });

  it('given numbers, booleans, objects, errors and undefined, when logged as text, then each reads back as its plain spelling and undefined is left out', () => {
    const { lines, log } = captured();
    log.error('reconcile failed', { seq: 12, ok: false, ids: ['a b', 'c'], error: new Error('disk full'), none: undefined, nil: null });
    expect(parseLogfmt(lines[0]!)).toEqual({
      time: '2026-12-02T10:00:00.000Z', level: 'error', msg: 'reconcile failed', seq: '12', ok: 'false', ids: '["a b","c"]', error: 'disk full', nil: 'null',
    });
  });

  it('given fields named time, level or msg, when logged, then the line keeps its own and the fields are renamed, not lost', () => {
    const { lines, log } = captured();
    log.warn('x', { level: 'high', msg: 'm', time: 3 });
    expect(parseLogfmt(lines[0]!)).toMatchObject({ level: 'warn', msg: 'x', field_level: 'high', field_msg: 'm', field_time: '3' });
  });

  it('given the json format, when logged, then each line is one object with time, level, msg and the fields', () => {
    const { lines, log } = captured({ format: 'json' });
    log.info('daemon started', { boot: 2, apps: '/etc/apps' });
    log.error('reconcile failed', { error: new Error('no space\nleft') });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: '2026-12-02T10:00:00.000Z', level: 'info', msg: 'daemon started', boot: 2, apps: '/etc/apps' },
      { time: '2026-12-02T10:00:00.000Z', level: 'error', msg: 'reconcile failed', error: 'no space\nleft' },
    ]);
    expect(Object.keys(JSON.parse(lines[0]!) as object).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('given journald, when each level is logged, then every line starts with its syslog priority (err 3, warning 4, info 6, debug 7)', () => {
    for (const format of ['text', 'json'] as const) {
      const { lines, log } = captured({ journal: true, level: 'debug', format });
      log.error('e');
      log.warn('w');
      log.info('i');
      log.debug('d');
      expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<7>']);
      expect(lines.map((l) => (format === 'json' ? (JSON.parse(l.slice(3)) as { level: string }).level : parseLogfmt(l.slice(3)).level))).toEqual(['error', 'warn', 'info', 'debug']);
    }
  });

  it('given no journald, when logged, then no line carries a priority prefix', () => {
    const { lines, log } = captured({ level: 'debug' });
    log.error('e');
    log.debug('d');
    expect(lines.every((l) => l.startsWith('time='))).toBe(true);
  });

  it('given each --log-level, when every level is logged, then only it and the more severe ones are written', () => {
    const written = (level: 'error' | 'warn' | 'info' | 'debug') => {
      const { lines, log } = captured({ level });
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      return lines.map((l) => parseLogfmt(l).msg);
    };
    expect(written('error')).toEqual(['e']);
    expect(written('warn')).toEqual(['w', 'e']);
    expect(written('info')).toEqual(['i', 'w', 'e']);
    expect(written('debug')).toEqual(['d', 'i', 'w', 'e']);
    const { lines, log } = captured(); // the default
    log.debug('d');
    log.info('i');
    expect(lines.map((l) => parseLogfmt(l).msg)).toEqual(['i']);
  });
});

describe('journald detection', () => {
  it('given JOURNAL_STREAM naming the descriptor\'s device and inode, then it is the journal; another file, unset or unreadable, then not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podledger-journal-'));
    const fd = openSync(join(dir, 'stream'), 'w');
    const other = openSync(join(dir, 'other'), 'w');
    try {
      const s = fstatSync(fd);
      const env = { JOURNAL_STREAM: `${s.dev}:${s.ino}` };
      expect(onJournal(env, fd)).toBe(true);
      expect(onJournal(env, other)).toBe(false); // inherited by a process whose stderr goes elsewhere
      expect(onJournal({}, fd)).toBe(false);
      expect(onJournal(env, 987654)).toBe(false); // no such descriptor
    } finally {
      closeSync(fd);
      closeSync(other);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
