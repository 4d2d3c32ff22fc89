// A build context in an untrusted app folder, hashed (when the manifest is read) and packed (when the
// image is built) by the same rule: a symbolic link is followed only when it leads to something inside
// the app folder, or to a host file the node policy lists under build_host_files. Anything else (a
// link to /etc/shadow, to a folder outside, to nothing, a link loop, a FIFO) is refused with a reason.
// In src/host because the observer (hash) and the executor (pack) share it, and neither imports the other.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { within } from '../core/manifest/paths.js';

export interface LinkRules {
  /** the app folder: links leading anywhere inside it are followed */
  appDir: string;
  /** absolute host paths a link may lead to outside the app folder (the policy's build_host_files) */
  hostFiles: readonly string[];
  /** where hostFiles comes from, for the "how to allow" hint */
  policyFile?: string;
}

/** A build context that breaks the rule; the message names the entry and the fix. */
export class BuildContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildContextError';
  }
}

interface Real { root: string; files: Set<string>; rules: LinkRules }

/** The rules with real paths: the app folder's, and that of each listed host file that exists. */
async function realRules(rules: LinkRules): Promise<Real> {
  const files = new Set<string>();
  for (const f of rules.hostFiles) {
    const real = await realpath(f).catch(() => undefined);
    if (real) files.add(real);
  }
  return { root: await realpath(rules.appDir), files, rules };
}

function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  return 'a device or other special file';
}

/**
 * What the entry `rel` of `context` is when packed (`rel` '' is the context itself): its own path and
 * stat, or, for a link, the real path and stat of what it leads to. Throws BuildContextError when the
 * rule refuses it.
 */
async function resolveEntry(context: string, rel: string, real: Real): Promise<{ path: string; stat: Stats }> {
  const full = path.join(context, rel);
  const shown = rel === '' ? context : rel;
  const own = await lstat(full);
  if (!own.isSymbolicLink() && rel !== '') return { path: full, stat: own };
  let target: string;
  try {
    target = await realpath(full);
  } catch {
    throw new BuildContextError(`${shown} is a link to nothing (${await readlink(full).catch(() => '?')}); remove it from the build context`);
  }
  const s = await stat(target);
  if (within(target, real.root)) {
    if (s.isDirectory() && rel !== '') {
      // A link to a folder is walked into: refuse one that leads back up the path, or the walk never ends.
      const parts = rel.split(path.sep);
      for (let i = 0; i < parts.length; i++) {
        const above = await realpath(path.join(context, ...parts.slice(0, i)));
        if (within(above, target)) throw new BuildContextError(`${shown} is a link to ${target}, which holds it: a link loop; remove the link`);
      }
    }
    return { path: target, stat: s };
  }
  if (real.files.has(target) && s.isFile()) return { path: target, stat: s };
  if (rel === '') throw new BuildContextError(`the build context ${context} leads to ${target}, outside the app folder; keep the context inside the app folder`);
  const literal = path.resolve(path.dirname(full), await readlink(full).catch(() => target));
  const leadsTo = literal === target ? target : `${literal} (${target})`;
  if (!s.isFile()) throw new BuildContextError(`${shown} is a link to ${leadsTo}, outside the app folder, which is not a file: the node policy can allow only files; copy what the build needs into the app folder`);
  const where = real.rules.policyFile ? `in ${real.rules.policyFile}` : 'in the node policy (--policy)';
  throw new BuildContextError(`${shown} is a link to ${leadsTo}, outside the app folder: not allowed by the node policy; to allow it, add ${literal} under build_host_files ${where}`);
}

/** Content hash of a build context (paths, modes and bytes, as packed), checked against the link rule. */
export async function hashTree(context: string, rules: LinkRules): Promise<string> {
  const real = await realRules(rules);
  await resolveEntry(context, '', real);
  const h = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(path.join(context, dir))).sort()) {
      const rel = path.join(dir, name);
      const entry = await resolveEntry(context, rel, real);
      if (entry.stat.isDirectory()) await walk(rel);
      else if (entry.stat.isFile()) h.update(`${rel}\0${entry.stat.mode & 0o777}\0`).update(await readFile(entry.path)).update('\0');
      else throw new BuildContextError(`${rel} is ${kindOf(entry.stat)}, not a file or folder; remove it from the build context`);
    }
  };
  await walk('');
  return h.digest('hex');
}

type Callback<T> = (err: Error | null, value?: T) => void;

/**
 * The `fs` tar-fs packs a context with (`dereference: true`): its `stat` follows a link only as
 * hashTree does, and refuses the rest, which fails the pack; files are read where the check found them.
 */
export async function checkedFs(context: string, rules: LinkRules) {
  const real = await realRules(rules);
  const found = new Map<string, string>();
  return {
    stat(p: string, cb: Callback<Stats>) {
      const rel = path.relative(context, p);
      resolveEntry(context, rel, real).then((entry) => {
        if (!entry.stat.isFile() && !entry.stat.isDirectory()) throw new BuildContextError(`${rel} is ${kindOf(entry.stat)}, not a file or folder; remove it from the build context`);
        found.set(p, entry.path);
        cb(null, entry.stat);
      }, (err: Error) => cb(err));
    },
    lstat(p: string, cb: Callback<Stats>) {
      lstat(p).then((s) => cb(null, s), (err: Error) => cb(err));
    },
    readdir(p: string, cb: Callback<string[]>) {
      readdir(p).then((names) => cb(null, names), (err: Error) => cb(err));
    },
    readlink(p: string, cb: Callback<string>) {
      readlink(p).then((l) => cb(null, l), (err: Error) => cb(err));
    },
    createReadStream(p: string, options: { start: number; end: number }) {
      return createReadStream(found.get(p) ?? p, options);
    },
  };
}
