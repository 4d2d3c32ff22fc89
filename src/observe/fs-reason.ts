// Why a path given by the user could not be read, in words rather than a bare errno ("ENOENT"), for
// messages shaped "what failed: which thing: why; fix".
import { readFile, stat } from 'node:fs/promises';

/** The reason a read of `path` failed; `expected` is what the path should have been. */
export function fsReason(cause: unknown, expected: 'file' | 'folder'): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return `no such ${expected}`;
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOTDIR': return expected === 'folder' ? 'not a folder' : 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied (not readable by this user)';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'path too long';
    default: return `cannot be read (${cause instanceof Error ? cause.message : String(cause)})`;
  }
}

/**
 * The text of a file the user named. A FIFO or socket is refused rather than read (the read would block
 * for good); any failure is thrown as `fail(reason, cause)`, the reason in words.
 */
export async function readNamedFile(file: string, fail: (reason: string, cause?: unknown) => Error): Promise<string> {
  let kind;
  try {
    kind = await stat(file);
  } catch (cause) {
    throw fail(fsReason(cause, 'file'), cause);
  }
  if (kind.isFIFO() || kind.isSocket()) throw fail(`is a ${kind.isFIFO() ? 'FIFO' : 'socket'}, not a file`);
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw fail(fsReason(cause, 'file'), cause);
  }
}
