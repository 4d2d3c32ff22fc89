// The order the planner walks apps in. Checking the dependencies (unknown apps, cycles) is authoring:
// src/manifest/catalog.ts reports them at their place in the manifest.
import { dependenciesOf, type Manifest } from './schema.js';

/** Apps ordered so that every app comes after its dependencies (ties by id); cycles are broken arbitrarily. */
export function dependencyOrder(manifests: ReadonlyMap<string, Manifest>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const m = manifests.get(id);
    if (m) dependenciesOf(m).forEach((d) => visit(d.app));
    if (manifests.has(id)) order.push(id);
  };
  [...manifests.keys()].sort().forEach(visit);
  return order;
}
