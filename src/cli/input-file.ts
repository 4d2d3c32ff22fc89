// Files named on the command line are checked before they are read, so a wrong path is reported as
// such (exit 1, the path and the fix) rather than as whatever the first read happens to throw.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { fsReason } from '../observe/fs-reason.js';

/** Exit code 1: a file given on the command line is missing, not a file, or not readable. */
export class InputFileError extends Error {
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

/** `--log FILE`: an NDJSON export. */
export function checkLogFile(file: string): Promise<void> {
  return checkInputFile(file, 'read event log: --log', "give --log the NDJSON file written by 'podledger export', or leave --log out to read the node's --data DIR");
}
