// Reading files of an untrusted app folder: never more than a limit (a 10 GB "manifest" is refused
// after limit + 1 bytes), never blocking on a FIFO, and for templates never through a symbolic link,
// so a template can only be a regular file inside the app folder.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { TEMPLATE_MAX_BYTES, tooLargeMessage } from '../manifest/parse.js';

export type Bounded =
  | { ok: true; text: string }
  /** `size`: the file's size, when known */
  | { ok: false; problem: 'too-large'; size?: number }
  | { ok: false; problem: 'not-a-file'; kind: string }
  | { ok: false; problem: 'error'; cause: NodeJS.ErrnoException };

/** What a non-regular file is, in words. */
function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'a device or other special file';
}

/**
 * The text of `file` (UTF-8), reading at most `limit` + 1 bytes. Opened non-blocking, so a FIFO is
 * refused rather than waited on; with `noFollow`, a symbolic link as the last part is refused (ELOOP).
 */
export async function readBounded(file: string, limit: number, noFollow = false): Promise<Bounded> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
  } catch (cause) {
    return { ok: false, problem: 'error', cause: cause as NodeJS.ErrnoException };
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) return { ok: false, problem: 'not-a-file', kind: kindOf(s) };
    if (s.size > limit) return { ok: false, problem: 'too-large', size: s.size };
    // The size can grow between stat and read: read one byte past the limit to notice.
    const buffer = Buffer.alloc(Math.min(s.size, limit) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) {
        if (filled > limit) return { ok: false, problem: 'too-large' };
        break;
      }
    }
    return { ok: true, text: buffer.subarray(0, filled).toString('utf8') };
  } catch (cause) {
    return { ok: false, problem: 'error', cause: cause as NodeJS.ErrnoException };
  } finally {
    await handle.close();
  }
}

/**
 * A file named relative to an app folder (`rel` is normalised, without `..`: the schema checked it),
 * read only if neither it nor a folder on its way is a symbolic link. An error is a sentence naming
 * the file and the fix.
 */
export async function readAppFile(appDir: string, rel: string, what: 'template'): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  const full = path.join(appDir, rel);
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = path.join(appDir, ...parts.slice(0, i));
    const s = await lstat(folder).catch(() => undefined);
    if (s?.isSymbolicLink()) return { ok: false, message: `${what} ${full} lies behind the symbolic link ${folder}: ${what}s are read only from the app folder itself; replace the link with a folder` };
    if (!s) break; // reported by the open below
  }
  const read = await readBounded(full, TEMPLATE_MAX_BYTES, true);
  if (read.ok) return read;
  if (read.problem === 'too-large') return { ok: false, message: `${what} ${full} ${tooLargeMessage(what, read.size)}` };
  if (read.problem === 'not-a-file') return { ok: false, message: `${what} ${full} is ${read.kind}, not a regular file; make it a regular file in the app folder` };
  const code = read.cause.code;
  if (code === 'ELOOP') return { ok: false, message: `${what} ${full} is a symbolic link: ${what}s are read only from regular files inside the app folder; replace the link with the file` };
  if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, message: `${what} file not found: ${full}; add it to the app folder or correct the path` };
  return { ok: false, message: `cannot read ${what} ${full} (${code ?? 'error'}): ${read.cause.message}; make it a readable file` };
}
