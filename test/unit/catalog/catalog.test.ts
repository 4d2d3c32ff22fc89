// The node's real app catalog (apps/) and the demo's (examples/demo/apps/): every manifest passes
// the same checks the daemon applies, under the policy the catalog ships with, and the apps start
// in the order their dependencies demand.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ManifestReading } from '../../../src/core/observations.js';
import { dependencyOrder } from '../../../src/core/manifest/dependencies.js';
import { formatManifestError } from '../../../src/manifest/parse.js';
import { DEFAULT_POLICY, type PolicyContext } from '../../../src/manifest/policy.js';
import { dependenciesOf, manifestSchema, type Manifest } from '../../../src/core/manifest/schema.js';
import { readManifests } from '../../../src/observe/manifests.js';
import { policyContext } from '../../../src/observe/policy-file.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const APPS = join(ROOT, 'apps');
const NODE_POLICY = join(ROOT, 'policy.yml');
const DEMO_APPS = join(ROOT, 'examples/demo/apps');
const DEMO_POLICY = join(ROOT, 'examples/demo/policy.yml');

const CATALOG = [
  'bitcoin-ui', 'bitcoind', 'electrs', 'electrs-ui', 'fedimint', 'filebrowser',
  'lnd', 'lnd-ui', 'mempool-api', 'mempool-db', 'mempool-web',
];

/** Every error of every rejected manifest, as `file:line:col: field: message` lines. */
const errorsIn = (readings: Map<string, ManifestReading>) =>
  [...readings.values()].flatMap((r) => (r.ok ? [] : r.errors.map(formatManifestError)));

/** The valid manifests, as the planner sees them (defaults filled in). */
const manifestsOf = (readings: Map<string, ManifestReading>) =>
  new Map([...readings].flatMap(([id, r]): [string, Manifest][] => (r.ok ? [[id, manifestSchema().parse(r.manifest)]] : [])));

describe('the node catalog (apps/)', () => {
  it('given the node policy, when every manifest is read, then all are valid', async () => {
    const readings = await readManifests(APPS, await policyContext({ policyFile: NODE_POLICY }));

    expect(errorsIn(readings)).toEqual([]);
    expect([...readings.keys()].sort()).toEqual(CATALOG);
  });

  it('given no policy file (the defaults), when read, then only the policy allowances are reported', async () => {
    const none: PolicyContext = { policy: DEFAULT_POLICY, policyFile: '/etc/podledger/policy.yml' };
    const readings = await readManifests(APPS, none);
    const nodePolicy = (await policyContext({ policyFile: NODE_POLICY })).policy;

    const reported = [...readings].flatMap(([id, r]) =>
      r.ok ? [] : r.errors.map((e) => `${id}: ${/\(rule ([a-z-]+)\)/.exec(e.message)?.[1] ?? formatManifestError(e)}`));
    const allowed = Object.entries(nodePolicy.allow).flatMap(([id, rules]) => rules.map((rule) => `${id}: ${rule}`));
    expect([...new Set(reported)].sort()).toEqual(allowed.sort());
  });

  it('given the valid catalog, when ordered by dependencies, then each app comes after what it depends on', async () => {
    const manifests = manifestsOf(await readManifests(APPS, await policyContext({ policyFile: NODE_POLICY })));

    const order = dependencyOrder(manifests);
    const before = (a: string, b: string) => expect(order.indexOf(a), `${a} before ${b} in ${order.join(', ')}`).toBeLessThan(order.indexOf(b));
    expect([...order].sort()).toEqual(CATALOG);
    for (const app of ['electrs', 'lnd', 'mempool-api']) before('bitcoind', app);
    before('mempool-db', 'mempool-api');
    before('mempool-api', 'mempool-web');
    for (const [id, m] of manifests) for (const d of dependenciesOf(m)) before(d.app, id);
  });

  it('given the mempool apps, when read, then the api waits for a healthy database and the database has a health check', async () => {
    const manifests = manifestsOf(await readManifests(APPS, await policyContext({ policyFile: NODE_POLICY })));

    expect(dependenciesOf(manifests.get('mempool-api') as Manifest)).toContainEqual({ app: 'mempool-db', condition: 'healthy', restart: false });
    expect(manifests.get('mempool-db')?.container.health_check).toBeDefined();
  });
});

describe('the demo catalog (examples/demo/apps/)', () => {
  it('given the demo policy, when every manifest is read, then all are valid', async () => {
    const readings = await readManifests(DEMO_APPS, await policyContext({ policyFile: DEMO_POLICY }));

    expect(errorsIn(readings)).toEqual([]);
    expect(readings.size).toBeGreaterThan(0);
  });
});
