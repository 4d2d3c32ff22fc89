// `podledger plan` of the node's real catalog (apps/) against an empty podman: what the node would
// do on its first boot. A dry run: nothing is pulled, created or started.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeholdersIn, SECRET_PREFIX } from '../../src/core/facts.js';
import { dependenciesOf, manifestSchema, type Manifest } from '../../src/core/manifest/schema.js';
import { readManifests } from '../../src/observe/manifests.js';
import { policyContext } from '../../src/observe/policy-file.js';
import { makeTempDir, REPO_ROOT, runCli, type TempDir } from '../support/cli.js';
import { podmanEnv, podmanOk } from '../support/podman.js';

const APPS = join(REPO_ROOT, 'apps');
const NODE_POLICY = join(REPO_ROOT, 'policy.yml');

interface PlannedAction { kind: string; app: string; reasons: { code: string; field?: string }[] }

/** Every secret file the catalog names: in secret_env, and as {{secret:NAME}} in its templates. */
function secretNames(manifests: Map<string, Manifest>, templates: Map<string, string[]>): string[] {
  const names = new Set<string>();
  for (const m of manifests.values()) for (const s of m.container.secret_env) names.add(s.secret_file);
  for (const texts of templates.values()) {
    for (const t of texts) for (const p of placeholdersIn(t)) if (p.startsWith(SECRET_PREFIX)) names.add(p.slice(SECRET_PREFIX.length));
  }
  return [...names].sort();
}

const listImages = async () => (await podmanOk(['images', '--format', '{{.Repository}}:{{.Tag}}'])).trim().split('\n').filter(Boolean).sort();

describe('plan of the node catalog on an empty podman', () => {
  let tmp: TempDir;
  let args: string[];
  let manifests: Map<string, Manifest>;
  let imagesBefore: string[];

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-catalog-plan');
    const data = join(tmp.path, 'data');
    const secrets = join(tmp.path, 'secrets');
    const facts = join(tmp.path, 'facts.json');
    await mkdir(data);
    await mkdir(secrets);
    await writeFile(facts, JSON.stringify({ HOST_IP: '192.168.1.20', HOST_MDNS: 'archipelago.local', DISK_GB: 2000 }));

    const readings = await readManifests(APPS, await policyContext({ policyFile: NODE_POLICY }));
    manifests = new Map();
    const templates = new Map<string, string[]>();
    for (const [id, r] of readings) {
      if (!r.ok) throw new Error(`${id} is invalid: ${r.errors.map((e) => e.message).join('; ')} (see test/unit/catalog)`);
      manifests.set(id, manifestSchema().parse(r.manifest));
      templates.set(id, Object.values(r.templates));
    }
    // Letters and digits only (mempool's start.sh pastes its passwords into a config with sed).
    const password = randomBytes(16).toString('hex');
    for (const name of secretNames(manifests, templates)) {
      const value = name === 'bitcoin-rpc-auth-basic' ? Buffer.from(`archipelago:${password}`).toString('base64')
        : name === 'bitcoin-rpc-password' ? password : randomBytes(16).toString('hex');
      await writeFile(join(secrets, name), `${value}\n`, { mode: 0o600 });
    }

    args = [
      'plan', '--apps', APPS, '--policy', NODE_POLICY, '--data', data, '--podman-socket', podmanEnv().socket,
      '--host-facts', facts, '--secrets', secrets,
    ];
    imagesBefore = await listImages();
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('given an empty podman, when the catalog is planned, then the apps without dependencies are created and every other app waits on its dependencies, in dependency order', async () => {
    const r = await runCli([...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { actions, summary } = JSON.parse(r.stdout) as { actions: PlannedAction[]; summary: Record<string, number> };
    // the output's schema (docs/json; the other commands' are checked in test/unit/cli/json-schemas.test.ts)
    const validate = new Ajv({ allErrors: true, validateFormats: false }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'json', 'plan.schema.json'), 'utf8')) as object);
    expect(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors)).toBe(true);
    expect(summary).toEqual({
      create: 3, recreate: 0, rollback: 0, adopt: 0, start: 0, restart: 0, remove: 0, wait: 0,
      blocked: actions.filter((a) => a.kind === 'blocked').length, changes: 3,
    });

    const roots = [...manifests].filter(([, m]) => m.dependencies.length === 0).map(([id]) => id).sort();
    expect(roots).toEqual(['bitcoind', 'filebrowser', 'mempool-db']);
    expect(actions.map((a) => a.app).sort()).toEqual([...manifests.keys()].sort());
    expect(actions.filter((a) => a.kind === 'create').map((a) => a.app).sort()).toEqual(roots);
    for (const a of actions.filter((x) => x.kind === 'create')) expect(a.reasons.map((x) => x.code)).toEqual(['container-missing']);

    for (const a of actions.filter((x) => !roots.includes(x.app))) {
      expect(a.kind, `${a.app}: ${JSON.stringify(a)}`).toBe('blocked');
      expect(a.reasons.map((x) => x.code), a.app).toEqual(a.reasons.map(() => 'waiting-on-dependency'));
      const deps = dependenciesOf(manifests.get(a.app) as Manifest).map((d) => d.app);
      expect(a.reasons.map((x) => x.field).sort(), a.app).toEqual(deps.sort());
    }

    const at = (id: string) => actions.findIndex((a) => a.app === id);
    for (const [id, m] of manifests) {
      for (const d of dependenciesOf(m)) expect(at(d.app), `${d.app} before ${id}`).toBeLessThan(at(id));
    }
  });

  it('given the same catalog, when planned without --json, then the text starts with a create line', async () => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^create [a-z0-9-]+\n/);
    expect(r.stdout).toContain('blocked mempool-web\n  waiting-on-dependency mempool-api');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^plan: 3 to create, 0 to recreate, 0 to roll back, 0 to adopt, 0 to start, 0 to restart, 0 to remove; \d+ blocked$/);
  });

  it('given changes pending, when planned with --detailed-exitcode, then exit 2 (Terraform\'s "changes present"), the plan printed as without it', async () => {
    const r = await runCli([...args, '--detailed-exitcode']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^create [a-z0-9-]+\n/);
    expect((await runCli([...args, '--detailed-exitcode', '--json'])).code).toBe(2);
  });

  it('given both plans, when the store is listed, then nothing was pulled and no container exists', async () => {
    expect(await listImages()).toEqual(imagesBefore);
    const names = (await podmanOk(['ps', '-a', '--format', '{{.Names}}'])).trim().split('\n').filter(Boolean);
    expect(names.filter((n) => manifests.has(n))).toEqual([]);
  });
});
