// Files named on the command line are checked before they are read, so a wrong path is reported as
// such (exit 1, the path and the fix) rather than as whatever the first read happens to throw.
import { PodledgerError } from '../core/errors.js';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { printable } from '../core/render.js';
import { sniffLog, undecodableGuard, undecodableGuardBatches } from '../log/log-file.js';
import type { ReadItem } from '../log/store.js';
import { fsReason } from '../observe/fs-reason.js';

/** Exit code 1: a file given on the command line is missing, not a file, or not readable. */
export class InputFileError extends PodledgerError {
  readonly exit = 'invalid';
  constructor(readonly file: string, readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputFileError';
  }
}

/**
 * Throws InputFileError unless `file` is a readable regular file (a FIFO or device is refused: the
 * readers open the file more than once). `what` is "what failed: which option", `fix` what to do.
 */
export async function checkInputFile(file: string, what: string, fix: string): Promise<void> {
  const fail = (reason: string, cause?: unknown): never => {
    throw new InputFileError(file, reason, `${what} ${file}: ${reason}; ${fix}`, cause === undefined ? undefined : { cause });
  };
  try {
    const s = await stat(file);
    if (s.isDirectory()) fail('is a folder, not a file');
    if (!s.isFile()) fail('not a regular file (a FIFO, socket or device)');
    await access(file, constants.R_OK);
  } catch (cause) {
    if (cause instanceof InputFileError) throw cause;
    fail(fsReason(cause, 'file'), cause);
  }
}

const LOG = { what: 'read event log: --log', fix: "give --log the NDJSON file written by 'podledger export', or leave --log out to read the node's --data DIR" };
const IMPORT = { what: 'import events:', fix: "give the NDJSON file written by 'podledger export'" };

/** `--log FILE`: a readable regular file whose start is a podledger log (see ../log/log-file.ts). */
export async function checkLogFile(file: string): Promise<void> {
  await checkInputFile(file, LOG.what, LOG.fix);
  await checkIsLog(file, LOG);
}

/** The file `import FILE` restores: as `--log FILE`. */
export async function checkImportFile(file: string): Promise<void> {
  await checkInputFile(file, IMPORT.what, IMPORT.fix);
  await checkIsLog(file, IMPORT);
}

/** Exit code 1: `--log FILE` is not a podledger log after all (`reason`: what it is instead). */
export function notALogError(file: string, reason: string, use = LOG): InputFileError {
  return new InputFileError(file, reason, `${use.what} ${file}: ${printable(reason, 400)}; ${use.fix}`);
}

async function checkIsLog(file: string, use: typeof LOG): Promise<void> {
  let verdict;
  try {
    verdict = await sniffLog(file);
  } catch (cause) {
    throw new InputFileError(file, fsReason(cause, 'file'), `${use.what} ${file}: ${fsReason(cause, 'file')}; ${use.fix}`, { cause });
  }
  if (!verdict.ok) throw notALogError(file, verdict.reason, use);
}

/** The items of a whole read of `--log FILE`, refused at the end if most of its lines are not events. */
export function guardedLogItems(file: string, items: AsyncIterable<ReadItem>): AsyncGenerator<ReadItem> {
  return undecodableGuard(items, (reason) => {
    throw notALogError(file, reason);
  });
}

/** `guardedLogItems` a batch at a time (whole reads that collect or fold: no async step per line). */
export function guardedLogBatches(file: string, batches: AsyncIterable<readonly ReadItem[]>): AsyncGenerator<readonly ReadItem[]> {
  return undecodableGuardBatches(batches, (reason) => {
    throw notALogError(file, reason);
  });
}
