// Secrets are read here and by the executor only. Everything else sees a keyed hash (HMAC with a
// per-node key kept beside the db): it changes when the secret does, yet reveals nothing. In src/host
// because the observers (hashes) and the executor (values) both read secrets, and neither imports the other.
import { createHmac, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const NODE_KEY_FILE = 'node.key';

/**
 * The node key, made on first use. With `create: false` a missing key is an error: a log already written
 * with a key must not get a new one silently (every secret would look rotated).
 */
export async function loadNodeKey(dataDir: string, opts: { create?: boolean } = {}): Promise<Buffer> {
  const file = path.join(dataDir, NODE_KEY_FILE);
  try {
    return await readFile(file);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || opts.create === false) {
      throw new Error(`cannot read node key: ${file}: ${(cause as Error).message}`, { cause });
    }
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async (cause: NodeJS.ErrnoException) => {
    if (cause.code !== 'EEXIST') throw cause;
  });
  return readFile(file);
}

/**
 * Which node a log belongs to: a short id derived from its node key. It names the key without
 * revealing it, so it can go into events and exports.
 */
export function nodeKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('podledger node identity').digest('hex').slice(0, 16);
}

/** The id of the node key in `dataDir`, or undefined when there is none (never creates one). */
export async function readNodeKeyId(dataDir: string): Promise<string | undefined> {
  try {
    return nodeKeyId(await readFile(path.join(dataDir, NODE_KEY_FILE)));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read node key: ${path.join(dataDir, NODE_KEY_FILE)}: ${(cause as Error).message}`, { cause });
  }
}

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
