// Reads the apps folder into manifest readings (valid or rejected, with file:line:col errors), and
// watches it. Parsing and cross-app rules are pure (src/manifest); this module only does the I/O, as
// the folder is untrusted: bounded reads, templates never through a link, build contexts checked.
import { PodledgerError } from '../core/errors.js';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestError } from '../core/events.js';
import { sha256 } from '../core/hash.js';
import type { ManifestReading } from '../core/observations.js';
import { validateCatalog, type CatalogEntry } from '../manifest/catalog.js';
import { MANIFEST_MAX_BYTES, parseManifest, tooLargeMessage, type ParsedManifest } from '../manifest/parse.js';
import { policyErrors, type PolicyContext } from '../manifest/policy.js';
import { readAppFile, readBounded, type Bounded } from './app-files.js';
import { BuildContextError, hashTree } from '../host/build-context.js';
import { fsReason } from './fs-reason.js';
import { policyContext, type PolicyOptions } from './policy-file.js';
import { watchPaths, type Watching } from './watching.js';

export const MANIFEST_FILE = 'manifest.yml';

/** The apps folder itself cannot be listed (missing, not a folder, not readable): no manifest is judged. */
export class AppsFolderError extends PodledgerError {
  readonly exit = 'invalid';
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

/** How many manifests are read at once. */
const READ_AHEAD = 8;

/**
 * `read` of each item, at most `width` at once, started in order; the results in the items' order.
 * `read` must not reject (a failure is a result): a result not awaited yet would go unhandled.
 */
function readAhead<T, R>(items: readonly T[], width: number, read: (item: T) => Promise<R>): Promise<R>[] {
  const results: Promise<R>[] = [];
  for (const [i, item] of items.entries()) results.push(i < width ? read(item) : results[i - width]!.then(() => read(item)));
  return results;
}

/**
 * The last read's parses, by the file's shown path. A resync almost always finds the catalog as it
 * was, and parsing each file again (yaml, then zod) was half of an idle daemon's CPU
 * (docs/benchmarks.md, idle daemon). A parse depends only on the text, the path shown and the
 * folder's id, so one is reused only when all three are the same. Replaced by each read: it holds
 * no more than the apps folder holds now.
 */
let lastParses = new Map<string, { text: string; id: string; parsed: ParsedManifest }>();

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
  // Only a regular file is read (a FIFO would block the reader for good; a link could lead to any
  // file on the host, and its text into the log as errors), and only so far. Read a few at a time:
  // one after another, each file's five file-system calls waited in turn (20 apps: ~150 ms at start-up).
  const files = readAhead(folders, READ_AHEAD, (id) => readBounded(path.join(appsDir, id, MANIFEST_FILE), MANIFEST_MAX_BYTES, true)
    .catch((cause: unknown): Bounded => ({ ok: false, problem: 'error', cause: cause as NodeJS.ErrnoException })));
  const parses = new Map<string, { text: string; id: string; parsed: ParsedManifest }>();
  for (const [n, id] of folders.entries()) {
    const file = path.join(appsDir, id, MANIFEST_FILE);
    const shown = displayPath(file);
    const read = await files[n]!;
    if (!read.ok) {
      if (read.problem === 'error' && read.cause.code === 'ENOENT') continue; // a folder without a manifest is not an app
      // A manifest that cannot be read is not a removed app: reject it (its container stays), never drop it.
      const code = read.problem === 'error' ? read.cause.code ?? 'error' : read.problem === 'too-large' ? 'too-large' : 'ENOTFILE';
      const message = read.problem === 'too-large' ? `${shown} ${tooLargeMessage('manifest', read.size)}`
        : code === 'ELOOP' ? `${shown} is a symbolic link: manifests are read only from regular files in the app folder; replace the link with the file`
          : `cannot read the manifest (${code}): ${read.problem === 'error' ? read.cause.message : `${shown} is ${read.kind}, not a regular file`}; make it a readable file`;
      readings.set(id, { ok: false, path: shown, hash: `unreadable:${code}${read.problem === 'too-large' ? `:${read.size ?? ''}` : ''}`, errors: [{ file: shown, line: 1, col: 1, path: '(file)', message }] });
      continue;
    }
    const text = read.text;
    const hash = sha256(text);
    const reject = (errors: ManifestError[]) => readings.set(id, { ok: false, path: shown, hash, errors });
    const prior = lastParses.get(shown);
    const parsed = prior && prior.text === text && prior.id === id ? prior.parsed : parseManifest(text, shown, id);
    parses.set(shown, { text, id, parsed });
    if (!parsed.ok) { reject(parsed.errors); continue; }
    const m = parsed.manifest;
    const templates: Record<string, string> = {};
    const errors: ManifestError[] = [];
    for (const [i, f] of m.files.entries()) {
      const template = await readAppFile(path.join(appsDir, id), f.template, 'template');
      if (template.ok) templates[f.template] = template.text;
      else errors.push({ file: shown, ...parsed.locate(['files', i, 'template']), path: `files[${i}].template`, message: template.message });
    }
    let buildContextHash: string | undefined;
    if (m.container.build) {
      const context = path.resolve(appsDir, id, m.container.build.context);
      const rules = { appDir: path.resolve(appsDir, id), hostFiles: policy?.policy.build_host_files ?? [], ...(policy ? { policyFile: policy.policyFile } : {}) };
      try {
        buildContextHash = await hashTree(context, rules);
      } catch (cause) {
        const message = cause instanceof BuildContextError ? `build context ${context}: ${cause.message}` : `cannot read build context ${context}: ${(cause as Error).message}`;
        errors.push({ file: shown, ...parsed.locate(['container', 'build', 'context']), path: 'container.build.context', message });
      }
    }
    if (policy) errors.push(...policyErrors(id, shown, m, parsed.locate, policy));
    if (errors.length > 0) { reject(errors); continue; }
    const reading = { ok: true as const, path: shown, hash, manifest: parsed.document, templates, ...(buildContextHash ? { buildContextHash } : {}) };
    readings.set(id, reading);
    valid.push({ id, file: shown, manifest: m, locate: parsed.locate, reading });
  }
  lastParses = parses;
  for (const [id, errors] of validateCatalog(valid, new Set(readings.keys()))) {
    const r = readings.get(id);
    if (r) readings.set(id, { ok: false, path: r.path, hash: r.hash, errors });
  }
  return readings;
}

/** Manifests checked against the node policy as it is now, and the policy they were checked against. */
export async function readCatalog(appsDir: string, o: PolicyOptions): Promise<{ readings: Map<string, ManifestReading>; policy: PolicyContext }> {
  const policy = await policyContext({ ...o, appsDir });
  return { readings: await readManifests(appsDir, policy), policy };
}

/** Calls `onChange` (debounced) whenever anything under the apps folder changes. */
export function watchManifests(appsDir: string, onChange: () => void, debounceMs = 200): Watching {
  let timer: NodeJS.Timeout | undefined;
  const watching = watchPaths(appsDir, { ignoreInitial: true, followSymlinks: false, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } }, () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return { ready: watching.ready, close: async () => { clearTimeout(timer); await watching.close(); } };
}
