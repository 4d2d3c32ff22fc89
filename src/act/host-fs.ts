// The one way the daemon touches an app's host paths: bind sources it creates, rendered files and
// their folders, `data_uid` ownership. Those paths lie in folders a container can write, and the
// daemon is root, so a symlink planted there must never be followed.
//
// Every path is split at a trusted anchor (see `trustedAnchor`): the anchor is opened normally, and
// each component below it is opened relative to the previous folder's open descriptor, through
// `/proc/self/fd/N/NAME` with O_NOFOLLOW. The kernel resolves `/proc/self/fd/N` to the folder that
// descriptor holds, not by path again, so a component swapped for a link after it was opened cannot
// redirect the next step: there is no gap between a check and its use. A link anywhere below the
// anchor is refused (UnsafePathError); the final name of a rendered file is replaced by rename, never
// written through.
import { randomBytes } from 'node:crypto';
import { constants as C } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, opendir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path/posix';
import { ActionError } from './errors.js';

/** A host path the daemon refused to resolve, because a component below its anchor is not a plain folder. */
export class UnsafePathError extends ActionError {
  constructor(readonly target: string, readonly component: string, why: string) {
    super('unsafe-path', `refused host path: ${target}: ${component} ${why} (a container can write there, so it is not followed); remove it or make it a plain folder`);
    this.name = 'UnsafePathError';
  }
}

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const at = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

/**
 * Where no-follow resolution of `target` starts: the node's data root when `target` lies in it (the
 * admin chose it, and may have made it a link), else the parent of the outermost bind source that
 * holds `target` (a container may write anywhere from there down), else `target`'s own parent.
 */
export function trustedAnchor(target: string, dataRoot: string | undefined, bindSources: readonly string[]): string {
  const t = path.normalize(target);
  // the data root itself too (an app may bind it whole, as a file browser does): the admin's link there is followed
  if (dataRoot && within(t, path.normalize(dataRoot))) return path.normalize(dataRoot);
  const holders = bindSources.map((s) => path.normalize(s)).filter((s) => within(t, s)).sort((a, b) => a.length - b.length);
  return path.dirname(holders[0] ?? t);
}

function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface FolderOptions {
  create?: boolean;
  mode?: number;
  /** the path errors name (the file a folder is opened for), when not the folder itself */
  for?: string;
}

/** A folder below an anchor, opened with every component checked; close it when done. */
export async function openFolder(anchor: string, target: string, opts: FolderOptions = {}): Promise<FileHandle> {
  const rel = path.relative(anchor, path.normalize(target));
  const named = opts.for ?? target;
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UnsafePathError(named, anchor, 'is not above it');
  let dir = await open(anchor, C.O_RDONLY | C.O_DIRECTORY).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' || !opts.create) throw err;
    await makeTrustedFolders(anchor);
    return open(anchor, C.O_RDONLY | C.O_DIRECTORY);
  });
  let shown = anchor;
  try {
    for (const name of rel === '' ? [] : rel.split('/')) {
      shown = path.join(shown, name);
      const next = await openChild(dir, name, named, shown, opts);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close().catch(() => undefined);
    throw err;
  }
}

/** `mkdir -p` of the anchor (trusted ground), each new folder 0755 whatever the daemon's umask. */
async function makeTrustedFolders(folder: string): Promise<void> {
  const first = await mkdir(folder, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let p = folder; p.length >= first.length; p = path.dirname(p)) await chmod(p, 0o755);
}

async function openChild(dir: FileHandle, name: string, target: string, shown: string, opts: FolderOptions): Promise<FileHandle> {
  try {
    return await open(at(dir, name), DIR_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // O_DIRECTORY|O_NOFOLLOW on a link answers ENOTDIR or ELOOP: lstat tells which it was
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      const link = await lstat(at(dir, name)).then((s) => s.isSymbolicLink(), () => code === 'ELOOP');
      throw new UnsafePathError(target, shown, link ? 'is a symbolic link' : 'is not a folder');
    }
    if (code !== 'ENOENT' || !opts.create) throw err;
  }
  // mkdir never follows a link at its last component (EEXIST); a race that puts one there is caught by the open
  await mkdir(at(dir, name), { mode: opts.mode ?? 0o755 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
  const made = await openChild(dir, name, target, shown, {});
  await made.chmod(opts.mode ?? 0o755); // the daemon's umask is private; a bind source is not
  return made;
}

/** `mkdir -p` with no link followed below the anchor. */
export async function ensureFolder(anchor: string, target: string, mode = 0o755): Promise<void> {
  await (await openFolder(anchor, target, { create: true, mode })).close();
}

export interface WriteResult {
  /** false when the file already held these bytes and mode */
  written: boolean;
  /** what stood at the file's name before, when it was not a regular file (it is replaced, not followed) */
  replaced?: string;
}

/**
 * Write `content` to `file` atomically: a fresh temporary file (O_EXCL, O_NOFOLLOW, random name) in
 * the opened folder, renamed over the name. Whatever was at the name, a link included, is replaced.
 */
export async function writeFileSafely(anchor: string, file: string, content: string, mode: number): Promise<WriteResult> {
  const dir = await openFolder(anchor, path.dirname(file), { create: true, for: file });
  const name = path.basename(file);
  try {
    const current = await readAt(dir, name, Buffer.byteLength(content) + 1);
    if (current.kind === 'file' && current.mode === mode && current.bytes?.equals(Buffer.from(content))) return { written: false };
    const tmp = await createTemp(dir, name, mode);
    try {
      await tmp.handle.writeFile(content);
      await tmp.handle.sync();
    } finally {
      await tmp.handle.close();
    }
    await rename(at(dir, tmp.name), at(dir, name)).catch(async (err: unknown) => {
      await unlink(at(dir, tmp.name)).catch(() => undefined);
      throw err;
    });
    return { written: true, ...(current.kind !== 'file' && current.kind !== 'missing' ? { replaced: current.kind } : {}) };
  } finally {
    await dir.close();
  }
}

async function createTemp(dir: FileHandle, name: string, mode: number): Promise<{ name: string; handle: FileHandle }> {
  for (;;) {
    const tmp = `.${name}.podledger-${randomBytes(6).toString('hex')}`;
    try {
      const handle = await open(at(dir, tmp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
      await handle.chmod(mode);
      return { name: tmp, handle };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

type Found = { kind: 'missing' | 'symbolic link' | 'folder' | 'special file' } | { kind: 'file'; mode: number; bytes: Buffer | undefined };

/** What is at `name` in `dir`, never following a link, never blocking on a FIFO; bytes only up to `limit`. */
async function readAt(dir: FileHandle, name: string, limit: number): Promise<Found> {
  let handle: FileHandle;
  try {
    handle = await open(at(dir, name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symbolic link' };
    throw err;
  }
  try {
    const s = await handle.stat();
    if (s.isDirectory()) return { kind: 'folder' };
    if (!s.isFile()) return { kind: 'special file' };
    if (s.size > limit) return { kind: 'file', mode: s.mode & 0o7777, bytes: undefined };
    const buf = Buffer.alloc(s.size);
    const { bytesRead } = await handle.read(buf, 0, s.size, 0);
    return { kind: 'file', mode: s.mode & 0o7777, bytes: buf.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/**
 * `chown -R` that never follows a link and never leaves `root`'s filesystem: folders are opened with
 * O_NOFOLLOW and changed through their descriptor; anything else is changed itself (`lchown`), so a
 * link's target is never touched. Returns how many entries were changed.
 */
export async function chownTree(anchor: string, root: string, uid: number, gid: number): Promise<number> {
  const top = await openFolder(anchor, root, { create: true });
  const device = (await top.stat()).dev;
  let changed = 0;
  const walk = async (dir: FileHandle, shown: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new ActionError('tree-too-deep', `cannot chown ${root}: ${shown} is more than ${MAX_DEPTH} folders deep; flatten it`);
    await dir.chown(uid, gid);
    changed++;
    // streamed: a container may have made millions of entries
    for await (const entry of await opendir(`/proc/self/fd/${dir.fd}`)) {
      const name = entry.name;
      const s = await lstat(at(dir, name)).catch(() => undefined);
      if (!s) continue;
      if (!s.isDirectory()) {
        await lchown(at(dir, name), uid, gid).catch(ignoreVanished);
        changed++;
        continue;
      }
      if (s.dev !== device) continue; // another filesystem mounted inside: not the app's to change
      // a folder swapped for a link since lstat is refused by O_NOFOLLOW (ELOOP): skipped, not followed
      const child = await open(at(dir, name), DIR_FLAGS).catch(() => undefined);
      if (!child) continue;
      try {
        await walk(child, path.join(shown, name), depth + 1);
      } finally {
        await child.close();
      }
    }
  };
  try {
    await walk(top, root, 0);
  } finally {
    await top.close();
  }
  return changed;
}

/** Folders deeper than this under a bind source are refused: each level holds a descriptor open. */
const MAX_DEPTH = 256;

function ignoreVanished(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
