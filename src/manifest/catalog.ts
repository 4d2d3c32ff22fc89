// Rules that span apps: dependencies must exist and not form cycles; host ports and container
// names must not clash. Pure: works on already-parsed manifests.
import type { ManifestError } from '../core/events.js';
import { formatPath, type Locate, type PathSegment } from './parse.js';
import { containerNameOf, dependenciesOf, type Manifest } from '../core/manifest/schema.js';

export interface CatalogEntry {
  id: string;
  file: string;
  manifest: Manifest;
  locate: Locate;
}

/** Errors per app id; apps with none are absent. `knownIds` includes apps whose manifest is invalid. */
export function validateCatalog(entries: readonly CatalogEntry[], knownIds: ReadonlySet<string>): Map<string, ManifestError[]> {
  const errors = new Map<string, ManifestError[]>();
  const report = (e: CatalogEntry, path: PathSegment[], message: string) => {
    const list = errors.get(e.id) ?? [];
    list.push({ file: e.file, ...e.locate(path), path: formatPath(path), message });
    errors.set(e.id, list);
  };
  const byId = new Map(entries.map((e) => [e.id, e]));

  for (const e of entries) {
    dependenciesOf(e.manifest).forEach((d, i) => {
      if (d.app === e.id) report(e, ['dependencies', i], `app depends on itself`);
      else if (!knownIds.has(d.app)) report(e, ['dependencies', i], `unknown dependency '${d.app}': no apps/${d.app}/manifest.yml`);
    });
  }

  for (const cycle of findCycles(entries)) {
    for (const id of cycle) {
      const e = byId.get(id);
      if (!e) continue;
      const next = cycle[(cycle.indexOf(id) + 1) % cycle.length];
      const index = dependenciesOf(e.manifest).findIndex((d) => d.app === next);
      report(e, ['dependencies', index], `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`);
    }
  }

  // A claim clashes with an earlier one on the same key unless both name different host addresses.
  const claims = new Map<string, { entry: CatalogEntry; path: PathSegment[]; ip?: string }[]>();
  const claim = (key: string, what: string, entry: CatalogEntry, path: PathSegment[], ip?: string) => {
    const earlier = claims.get(key) ?? [];
    const clash = earlier.find((c) => c.ip === undefined || ip === undefined || c.ip === ip);
    claims.set(key, [...earlier, { entry, path, ...(ip ? { ip } : {}) }]);
    if (!clash) return;
    report(entry, path, `${what} is also used by app '${clash.entry.id}'`);
    if (clash.entry.id !== entry.id) report(clash.entry, clash.path, `${what} is also used by app '${entry.id}'`);
  };
  for (const e of entries) {
    const c = e.manifest.container;
    claim(`name:${containerNameOf(e.manifest)}`, `container name '${containerNameOf(e.manifest)}'`, e, c.name ? ['container', 'name'] : ['app', 'id']);
    c.ports.forEach((p, i) => claim(`port:${p.host}/${p.protocol}`, `host port ${p.host}/${p.protocol}`, e, ['container', 'ports', i, 'host'], p.host_ip));
  }
  return errors;
}

/** Each elementary cycle once, found by depth-first search over dependencies (apps ordered by id). */
function findCycles(entries: readonly CatalogEntry[]): string[][] {
  const deps = new Map(entries.map((e) => [e.id, dependenciesOf(e.manifest).map((d) => d.app)]));
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (id: string, stack: string[]) => {
    const at = stack.indexOf(id);
    if (at >= 0) return void cycles.push(stack.slice(at));
    if (done.has(id)) return;
    for (const dep of deps.get(id) ?? []) if (dep !== id) visit(dep, [...stack, id]);
    done.add(id);
  };
  [...deps.keys()].sort().forEach((id) => visit(id, []));
  return cycles;
}
