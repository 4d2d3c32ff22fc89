// Reads the apps folder into manifest readings (valid or rejected, with file:line:col errors), and
// watches it. Parsing and cross-app rules are pure (src/manifest); this module only does the I/O.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { watch } from 'chokidar';
import type { ManifestError } from '../core/events.js';
import { sha256 } from '../core/hash.js';
import type { ManifestReading } from '../core/observations.js';
import { validateCatalog, type CatalogEntry } from '../manifest/catalog.js';
import { parseManifest } from '../manifest/parse.js';
import { policyErrors, type PolicyContext } from '../manifest/policy.js';
import { fsReason } from './fs-reason.js';
import { policyContext, type PolicyOptions } from './policy-file.js';

export const MANIFEST_FILE = 'manifest.yml';

/** The apps folder itself cannot be listed (missing, not a folder, not readable): no manifest is judged. */
export class AppsFolderError extends Error {
  constructor(readonly dir: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`cannot read apps folder: ${dir}: ${reason}; pass --apps DIR, the folder holding <app id>/${MANIFEST_FILE} for each app`, options);
    this.name = 'AppsFolderError';
  }
}

/** How a manifest is named in errors: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** The node's policy and the paths it protects; without it only the manifests' own rules apply. */
export async function readManifests(appsDir: string, policy?: PolicyContext): Promise<Map<string, ManifestReading>> {
  const readings = new Map<string, ManifestReading>();
  const valid: (CatalogEntry & { reading: Extract<ManifestReading, { ok: true }> })[] = [];
  let folders: string[];
  try {
    folders = (await readdir(appsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (cause) {
    throw new AppsFolderError(appsDir, fsReason(cause, 'folder'), { cause });
  }
  for (const id of folders) {
    const file = path.join(appsDir, id, MANIFEST_FILE);
    const shown = displayPath(file);
    let text: string;
    try {
      // Only a regular file is read: a FIFO would block the reader for good.
      const kind = await stat(file);
      if (!kind.isFile()) throw Object.assign(new Error(`${shown} is not a regular file`), { code: 'ENOTFILE' });
      text = await readFile(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue; // a folder without a manifest is not an app
      // A manifest that cannot be read is not a removed app: reject it (its container stays), never drop it.
      const message = `cannot read the manifest (${(cause as NodeJS.ErrnoException).code ?? 'error'}): ${(cause as Error).message}; make it a readable file`;
      readings.set(id, { ok: false, path: shown, hash: `unreadable:${(cause as NodeJS.ErrnoException).code ?? 'error'}`, errors: [{ file: shown, line: 1, col: 1, path: '(file)', message }] });
      continue;
    }
    const hash = sha256(text);
    const reject = (errors: ManifestError[]) => readings.set(id, { ok: false, path: shown, hash, errors });
    const parsed = parseManifest(text, shown, id);
    if (!parsed.ok) { reject(parsed.errors); continue; }
    const m = parsed.manifest;
    const templates: Record<string, string> = {};
    const errors: ManifestError[] = [];
    for (const [i, f] of m.files.entries()) {
      try {
        templates[f.template] = await readFile(path.join(appsDir, id, f.template), 'utf8');
      } catch {
        errors.push({ file: shown, ...parsed.locate(['files', i, 'template']), path: `files[${i}].template`, message: `template file not found: ${path.join(appsDir, id, f.template)}` });
      }
    }
    let buildContextHash: string | undefined;
    if (m.container.build) {
      const context = path.resolve(appsDir, id, m.container.build.context);
      try {
        buildContextHash = await hashTree(context);
      } catch (cause) {
        errors.push({ file: shown, ...parsed.locate(['container', 'build', 'context']), path: 'container.build.context', message: `cannot read build context ${context}: ${(cause as Error).message}` });
      }
    }
    if (policy) errors.push(...policyErrors(id, shown, m, parsed.locate, policy));
    if (errors.length > 0) { reject(errors); continue; }
    const reading = { ok: true as const, path: shown, hash, manifest: parsed.document, templates, ...(buildContextHash ? { buildContextHash } : {}) };
    readings.set(id, reading);
    valid.push({ id, file: shown, manifest: m, locate: parsed.locate, reading });
  }
  for (const [id, errors] of validateCatalog(valid, new Set(readings.keys()))) {
    const r = readings.get(id);
    if (r) readings.set(id, { ok: false, path: r.path, hash: r.hash, errors });
  }
  return readings;
}

/** Manifests checked against the node policy as it is now. */
export async function readCatalog(appsDir: string, o: PolicyOptions): Promise<Map<string, ManifestReading>> {
  return readManifests(appsDir, await policyContext(o));
}

/** Content hash of a folder (paths and bytes; symlinks followed, as the build packs them). */
export async function hashTree(root: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const s = await stat(full);
      if (s.isDirectory()) await walk(full);
      else if (s.isFile()) h.update(`${path.relative(root, full)}\0${s.mode & 0o777}\0`).update(await readFile(full)).update('\0');
    }
  };
  await walk(root);
  return h.digest('hex');
}

/** Calls `onChange` (debounced) whenever anything under the apps folder changes. */
export function watchManifests(appsDir: string, onChange: () => void, debounceMs = 200): { close(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(appsDir, { ignoreInitial: true, followSymlinks: false, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return { close: async () => { clearTimeout(timer); await watcher.close(); } };
}
