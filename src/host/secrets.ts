// Secrets are read here and by the executor only. Everything else sees a keyed hash (HMAC with a
// per-node key kept beside the db, see ../log/node-identity.ts): it changes when the secret does, yet
// reveals nothing. In src/host because the observers (hashes) and the executor (values) both read
// secrets, and neither imports the other.
import { createHmac } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export function secretHash(key: Buffer, value: Buffer | string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/** name → keyed hash, for every regular file in the secrets folder (none when it has no folder). */
export async function readSecretHashes(dir: string | undefined, key: Buffer): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (!dir) return hashes;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return hashes;
    throw new Error(`cannot read secrets folder: ${dir}: ${(cause as Error).message}`, { cause });
  }
  for (const e of entries.filter((x) => x.isFile() && !x.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    hashes.set(e.name, secretHash(key, secretValue(await readFile(path.join(dir, e.name)))));
  }
  return hashes;
}

/**
 * A secret's value as it is used, trailing newline removed (files written with `echo` end in one).
 * The keyed hash is taken of this value, so it can be compared with what a container holds.
 */
export function secretValue(raw: Buffer): string {
  return raw.toString('utf8').replace(/\r?\n$/, '');
}

/**
 * The secrets folder, and the secrets in it, that other local users can open: each as "path (mode
 * 0755)". Empty when the folder is private (or there is none).
 */
export async function exposedSecrets(dir: string | undefined): Promise<string[]> {
  if (!dir) return [];
  const folder = await lstat(dir).catch(() => undefined);
  if (!folder?.isDirectory()) return [];
  const shown = (p: string, mode: number) => `${p} (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`;
  const exposed = folder.mode & 0o007 ? [shown(dir, folder.mode)] : [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const s = await lstat(path.join(dir, name)).catch(() => undefined);
    if (s?.isFile() && s.mode & 0o004) exposed.push(shown(path.join(dir, name), s.mode));
  }
  return exposed;
}
