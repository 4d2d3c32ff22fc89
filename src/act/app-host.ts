// An app's host side, prepared before its container is created: bind source folders, `data_uid`
// ownership, rendered files. Every path goes through host-fs, which never follows a link a container
// could have planted.
import type { ContainerSpec } from '../core/spec-schema.js';
import { renderedFileMode } from '../core/spec.js';
import { renderTemplate, SECRET_PREFIX } from '../core/facts.js';
import type { AppState, State } from '../core/state.js';
import { ActionError } from './errors.js';
import { chownTree, ensureFolder, trustedAnchor, writeFileSafely } from './host-fs.js';

export interface HostPrep {
  /** the node policy's data root: paths in it are resolved with no link followed below it */
  dataRoot: string | undefined;
  /** a secret's value, checked against the hash the plan used when one is given */
  secret: (name: string, expectedHash: string | undefined) => Promise<string>;
}

/** What was done that the operator should hear of (links replaced); empty when nothing unusual. */
export async function prepareHost(cfg: HostPrep, app: AppState, spec: ContainerSpec, state: State): Promise<string[]> {
  const sources = writableRoots(state);
  const anchor = (p: string) => trustedAnchor(p, cfg.dataRoot, sources);
  const binds = spec.volumes.flatMap((v) => (v.type === 'bind' ? [v.source] : []));
  for (const source of binds) await ensureFolder(anchor(source), source);
  if (spec.dataUid) {
    const [uid, gid] = spec.dataUid.split(':').map(Number) as [number, number];
    for (const source of binds) {
      try {
        await chownTree(anchor(source), source, uid, gid);
      } catch (cause) {
        if (cause instanceof ActionError) throw cause;
        throw new ActionError('chown-failed', `cannot chown ${source} to ${spec.dataUid}: ${(cause as Error).message}`, { cause });
      }
    }
  }
  return renderFiles(cfg, app, state, anchor);
}

/** Every host folder any known app binds into a container: below these, nothing is trusted. */
function writableRoots(state: State): string[] {
  const fromManifests = Object.values(state.apps).flatMap((a) => a.manifest?.container.volumes ?? []);
  const fromContainers = Object.values(state.containers).flatMap((c) => c.spec?.volumes ?? []);
  return [...fromManifests, ...fromContainers].flatMap((v) => (v.type === 'bind' ? [v.source] : []));
}

/** Render `files` with the real secret values, from the facts the spec hash was taken from. */
async function renderFiles(cfg: HostPrep, app: AppState, state: State, anchor: (p: string) => string): Promise<string[]> {
  const facts = Object.fromEntries(Object.entries(state.facts).map(([k, f]) => [k, f.value]));
  const notes: string[] = [];
  for (const f of app.manifest?.files ?? []) {
    const template = app.templates[f.template] ?? '';
    const values: Record<string, string | number> = { ...facts };
    for (const m of template.matchAll(/\{\{\s*secret:([A-Za-z0-9_.-]+)\s*\}\}/g)) {
      values[`${SECRET_PREFIX}${m[1]}`] = await cfg.secret(m[1] as string, undefined);
    }
    const rendered = renderTemplate(template, values);
    if (!rendered.ok) throw new ActionError('render-failed', `cannot render ${f.path}: missing ${rendered.missing.join(', ')}`);
    const result = await writeFileSafely(anchor(f.path), f.path, rendered.value, parseInt(renderedFileMode(f, template), 8));
    if (result.replaced) notes.push(`replaced a ${result.replaced} at ${f.path} with the rendered file (not followed)`);
  }
  return notes;
}
