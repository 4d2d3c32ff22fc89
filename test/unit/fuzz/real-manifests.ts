// The real manifests the readers' tests take as given: the bundled apps, the demo apps and the bench's
// tiered catalog, each with its folder's id.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TIER_CATALOG } from '../../../src/bench/tier-catalog.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const folders = (dir: string) => readdirSync(`${root}${dir}`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

export const BUNDLED_MANIFESTS: readonly { id: string; text: string }[] = [...folders('apps').map((id) => ['apps', id]), ...folders('examples/demo/apps').map((id) => ['examples/demo/apps', id])]
  .map(([dir, id]) => ({ id: id!, text: readFileSync(`${root}${dir}/${id}/manifest.yml`, 'utf8') }));

export { TIER_CATALOG as TIER_MANIFESTS };
