// The data dir holds the log (secret hashes, every decision), snapshots, the node key and the
// control socket: no other local user may read it. New files are private by the umask the CLI sets
// (cli/main.ts); this also closes a data dir an earlier podledger left world-readable.
import { chmod, lstat, mkdir, opendir } from 'node:fs/promises';
import path from 'node:path';

/** Create `dir` as 0700, or take group and other bits off it and off the files directly in it. */
export async function makePrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await ownerOnly(dir);
  for await (const entry of await opendir(dir)) {
    if (entry.isFile()) await ownerOnly(path.join(dir, entry.name));
  }
}

/**
 * Links are never followed (lstat), and what another user owns is left as it is. A file that
 * vanishes meanwhile is skipped: LevelDB renames LOG to LOG.old whenever another process opens the
 * same folder, so a walk can meet a name that is gone.
 */
async function ownerOnly(p: string): Promise<void> {
  try {
    await closeToOthers(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function closeToOthers(p: string): Promise<void> {
  const s = await lstat(p);
  if (s.isSymbolicLink() || (s.mode & 0o077) === 0) return;
  if (process.getuid && s.uid !== process.getuid()) return;
  await chmod(p, s.mode & 0o700);
}
