// Errors of the event log store: one class per kind, with the context a caller needs to act on it,
// the underlying error as `cause`, and messages shaped "what failed: which thing: why".
import { PodledgerError, type ExitKind } from '../core/errors.js';

export abstract class LogError extends PodledgerError {
  abstract readonly code: string;
  readonly exit: ExitKind = 'runtime';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Another process (normally the running daemon) holds the LevelDB LOCK. */
export class DbLockedError extends LogError {
  readonly code = 'DB_LOCKED';
  readonly dir: string;
  constructor(dir: string, options?: { cause?: unknown }) {
    super(
      `open event log: ${dir}: locked by another podledger process (a running daemon). ` +
        'Stop the daemon, or read an export instead with `--log FILE.ndjson` (made by `podledger export`), ' +
        "or run the command while the daemon's control socket answers so the daemon serves it",
      options,
    );
    this.dir = dir;
  }
}

/** A daemon was started on a data dir another daemon serves: one log has one writer. */
export class DaemonRunningError extends LogError {
  readonly code = 'DAEMON_RUNNING';
  constructor(readonly dir: string, readonly pid: number, options?: { cause?: unknown }) {
    super(
      `daemon: ${dir}: another podledger daemon (pid ${pid}) is running on this data dir and holds its event log; `
        + `a node has one daemon: stop that one first (kill -TERM ${pid}), or give this one another --data`,
      options,
    );
  }
}

/** The database could not be opened for another reason (permissions, corruption, not a db). */
export class DbOpenError extends LogError {
  readonly code = 'DB_OPEN';
  readonly dir: string;
  constructor(dir: string, reason: string, options?: { cause?: unknown }) {
    super(`open event log: ${dir}: ${reason}`, options);
    this.dir = dir;
  }
}

/** A batch could not be written (or the store is closed); no seq of it was assigned. */
export class DbWriteError extends LogError {
  readonly code = 'DB_WRITE';
  readonly dir: string;
  constructor(dir: string, reason: string, options?: { cause?: unknown }) {
    super(`append to event log: ${dir}: ${reason}`, options);
    this.dir = dir;
  }
}

/** A draft failed validation; nothing of its `append` call was written. */
export class InvalidEventError extends LogError {
  readonly code = 'INVALID_EVENT';
  readonly type: string;
  readonly reason: string;
  constructor(type: string, reason: string, options?: { cause?: unknown }) {
    super(`append event: ${type}: ${reason}`, options);
    this.type = type;
    this.reason = reason;
  }
}

/** An import input item that cannot be restored (bad line, gap, conflicting event). */
export class ImportError extends LogError {
  readonly code = 'IMPORT';
  override readonly exit = 'invalid';
  /** 1-based position of the item in the input: the line number for an NDJSON export */
  readonly line: number;
  readonly seq: number | undefined;
  readonly reason: string;
  constructor(line: number, seq: number | undefined, reason: string, options?: { cause?: unknown }) {
    super(`import events: line ${line}${seq !== undefined && seq > 0 ? ` (seq ${seq})` : ''}: ${reason}`, options);
    this.line = line;
    this.seq = seq;
    this.reason = reason;
  }
}

/** `compact` found the store held by a running daemon: compaction never runs next to the writer. */
export class CompactionRefusedError extends LogError {
  readonly code = 'COMPACTION_REFUSED';
  readonly dir: string;
  constructor(dir: string, options?: { cause?: unknown }) {
    super(
      `compact: ${dir}: a running podledger daemon holds the event log; stop the daemon first. ` +
        'Compaction removes events, so it runs only on a log nobody is writing, and only when asked',
      options,
    );
    this.dir = dir;
  }
}
