// Daemon log lines on stderr, one event a line: logfmt for people and grep (`time=… level=… msg=… key=value`),
// or one JSON object per line (`--log-format json`, or the daemon's `--json`) with the stable keys time,
// level, msg and then the fields. Under journald (stderr is the stream $JOURNAL_STREAM names) each line
// starts with its syslog priority, `<3>` … `<7>`, so `journalctl -p err` selects by level. Never secrets:
// callers pass names and hashes only; control characters are escaped, so a value cannot forge a line.
import { fstatSync } from 'node:fs';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

type Fields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  debug(message: string, fields?: Fields): void;
}

/** syslog priorities (sd-daemon.h): what journald reads from a `<N>` prefix. */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export interface LoggerOptions {
  /** the least severe level written (default info) */
  level?: LogLevel;
  format?: LogFormat;
  /** prefix each line with its syslog priority (default: when stderr is journald's stream) */
  journal?: boolean;
  clock?: () => number;
  out?: NodeJS.WritableStream;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const out = o.out ?? process.stderr;
  const clock = o.clock ?? Date.now;
  const least = LOG_LEVELS.indexOf(o.level ?? 'info');
  const journal = o.journal ?? onJournal(process.env, 2);
  const write = (level: LogLevel, msg: string, fields: Fields = {}) => {
    if (LOG_LEVELS.indexOf(level) > least) return;
    const record = { time: new Date(clock()).toISOString(), level, msg, ...withoutReserved(fields) };
    const line = o.format === 'json' ? JSON.stringify(record, jsonValue) : logfmt(record);
    out.write(`${journal ? `<${PRIORITY[level]}>` : ''}${line}\n`);
  };
  return {
    error: (m, f) => write('error', m, f),
    warn: (m, f) => write('warn', m, f),
    info: (m, f) => write('info', m, f),
    debug: (m, f) => write('debug', m, f),
  };
}

/**
 * Whether `fd` is the journald stream systemd names in $JOURNAL_STREAM (`dev:inode`): the variable
 * alone is inherited by children whose stderr goes elsewhere (systemd.exec(5) says to compare).
 */
export function onJournal(env: NodeJS.ProcessEnv, fd: number): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const s = fstatSync(fd);
    return stream === `${s.dev}:${s.ino}`;
  } catch {
    return false;
  }
}

/** A field named like a line's own keys is kept, renamed, rather than hiding the time, level or message. */
function withoutReserved(fields: Fields): Fields {
  const kept: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    kept[k === 'time' || k === 'level' || k === 'msg' ? `field_${k}` : k] = v;
  }
  return kept;
}

const jsonValue = (_key: string, v: unknown): unknown => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v);

/** One logfmt line: `key=value` pairs, a value quoted when it holds a space, `=`, `"`, a control character or nothing. */
export function logfmt(record: Fields): string {
  return Object.entries(record).map(([k, v]) => `${logfmtKey(k)}=${logfmtValue(v)}`).join(' ');
}

/** Keys are bare words: anything else becomes `_`. */
function logfmtKey(key: string): string {
  const clean = key.replace(/[^\x21-\x7e]|[="]/g, '_');
  return clean === '' ? '_' : clean;
}

// Control characters (C0, DEL, C1) and the Unicode line separators are escaped: a value never breaks a line.
// eslint-disable-next-line no-control-regex
const NEEDS_QUOTES = /[\x00-\x20="\\\x7f-\x9f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const ESCAPED = /[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

function logfmtValue(v: unknown): string {
  const text = typeof v === 'string' ? v : v instanceof Error ? v.message : v === null ? 'null'
    : typeof v === 'object' ? JSON.stringify(v, jsonValue) : String(v);
  if (text !== '' && !NEEDS_QUOTES.test(text)) return text;
  return `"${text.replace(ESCAPED, escape)}"`;
}

function escape(c: string): string {
  switch (c) {
    case '\\': return '\\\\';
    case '"': return '\\"';
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}
