// `podledger kube` over the node's real catalog (apps/): every rendered object validates against the
// Kubernetes OpenAPI schemas (kubernetes-models: one class per kind, generated from the official
// spec; no cluster is reachable here), for Pods and Deployments, with and without --with-secrets; and
// without --with-secrets no secret value, nor any hash or encoding of one, is anywhere in the output.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigMap, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { placeholdersIn, SECRET_PREFIX } from '../../../src/core/facts.js';
import { manifestSchema } from '../../../src/core/manifest/schema.js';
import { readManifests } from '../../../src/observe/manifests.js';
import { policyContext } from '../../../src/observe/policy-file.js';
import { makeTempDir, REPO_ROOT, type TempDir } from '../../support/cli.js';
import { run, STACK } from './run.js';

const APPS = join(REPO_ROOT, 'apps');
const POLICY = join(REPO_ROOT, 'policy.yml');
const KINDS: Record<string, { new (data: never): { validate(): void } }> = { Pod, Deployment, Secret, ConfigMap, PersistentVolumeClaim } as never;
/** What the API server checks beyond the OpenAPI schema: names are DNS labels, label values at most 63 */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };

describe('podledger kube over the real catalog', () => {
  let tmp: TempDir;
  let base: string[];
  let secrets: Map<string, string>;
  let appIds: string[];

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-kube');
    const dir = join(tmp.path, 'secrets');
    await mkdir(dir);
    const facts = join(tmp.path, 'facts.json');
    await writeFile(facts, JSON.stringify({ HOST_IP: '192.168.1.20', HOST_MDNS: 'archipelago.local', DISK_GB: 2000 }));
    const readings = await readManifests(APPS, await policyContext({ policyFile: POLICY }));
    secrets = new Map();
    appIds = [...readings.keys()].sort();
    for (const r of readings.values()) {
      if (!r.ok) throw new Error(`${r.path} is invalid (see test/unit/catalog)`);
      const m = manifestSchema().parse(r.manifest);
      const names = [...m.container.secret_env.map((s) => s.secret_file),
        ...Object.values(r.templates).flatMap((t) => placeholdersIn(t).filter((p) => p.startsWith(SECRET_PREFIX)).map((p) => p.slice(SECRET_PREFIX.length)))];
      for (const name of names) secrets.set(name, `s3cr3t-${randomBytes(12).toString('hex')}`);
    }
    for (const [name, value] of secrets) await writeFile(join(dir, name), `${value}\n`, { mode: 0o600 });
    base = ['kube', '--apps', APPS, '--policy', POLICY, '--host-facts', facts, '--secrets', dir, '--data', join(tmp.path, 'no-data'), '--wait-image', 'localhost/busybox:test'];
  });
  afterAll(async () => tmp?.cleanup());

  const render = async (extra: string[]) => {
    const r = await run([...base, ...extra]);
    expect(r.stdout.length > 0 ? '' : r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout);
    for (const d of docs) expect(d.errors).toEqual([]);
    return { ...r, objects: docs.map((d) => d.toJS() as Obj).filter(Boolean) };
  };

  for (const workload of ['pod', 'deployment'] as const) {
    for (const withSecrets of [false, true]) {
      it(`given the catalog, facts and secrets, when rendered as ${workload}s ${withSecrets ? 'with' : 'without'} --with-secrets, then every object validates against the Kubernetes schemas and names and labels are what the API server takes`, async () => {
        const { objects } = await render(['--workload', workload, ...(withSecrets ? ['--with-secrets'] : [])]);
        const problems: string[] = [];
        for (const o of objects) {
          const Kind = KINDS[o.kind];
          if (!Kind) { problems.push(`${o.kind} ${o.metadata?.name}: no schema for this kind`); continue; }
          try { new Kind(o as never).validate(); } catch (err) { problems.push(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`); }
          if (!DNS_LABEL.test(o.metadata.name)) problems.push(`${o.kind} ${o.metadata.name}: name is not a DNS label`);
          for (const [k, v] of Object.entries(o.metadata.labels ?? {})) if (!LABEL_VALUE.test(v)) problems.push(`${o.kind} ${o.metadata.name}: label ${k}=${v} is not a label value`);
        }
        expect(problems).toEqual([]);
        const workloads = objects.filter((o) => o.kind === (workload === 'pod' ? 'Pod' : 'Deployment'));
        expect(workloads.map((o) => o.metadata.labels?.['podledger.app']).sort()).toEqual(appIds);
        if (workload === 'deployment') {
          for (const d of workloads) expect(d.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
        }
      });
    }
  }

  it('given secrets, when rendered without --with-secrets, then no value, no base64, hex or hash of one is anywhere in stdout or stderr; with it, the values are there (so the sweep can fail)', async () => {
    const forms = (v: string) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex'),
      createHash('sha256').update(v).digest('hex'), createHmac('sha256', Buffer.alloc(32)).update(v).digest('hex')];
    for (const workload of ['pod', 'deployment']) {
      const r = await render(['--workload', workload]);
      const all = r.stdout + r.stderr;
      for (const [name, value] of secrets) for (const f of forms(value)) expect(all.includes(f), `${name}: ${f.slice(0, 8)}…`).toBe(false);
      expect(all).not.toContain('secret-hash:');
      expect(r.stdout).toContain('FILL IN');
    }
    const withValues = await render(['--with-secrets']);
    for (const [name, value] of secrets) expect(withValues.stdout.includes(value), name).toBe(true);
  });

  it('given --out, when rendered with --with-secrets, then the file is the operator\'s alone (0600) and stdout stays empty', async () => {
    const out = join(tmp.path, 'apps.yaml');
    const r = await run([...base, '--with-secrets', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const { stat } = await import('node:fs/promises');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(await readFile(out, 'utf8')).toContain('kind: Pod');
  });

  it('given a facts file without a fact the catalog derives from, when rendered, then exit 1 naming the app, the fact and the file, and no stack', async () => {
    const facts = join(tmp.path, 'partial.json');
    await writeFile(facts, JSON.stringify({ HOST_MDNS: 'x.local' }));
    const r = await run([...base, '--host-facts', facts]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kube: app [a-z-]+: cannot be resolved: host fact (HOST_IP|DISK_GB) is needed .*partial\.json does not give it; add "(HOST_IP|DISK_GB)" to the facts file/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('given --with-secrets without --secrets, then a usage error (exit 2) saying what to give', async () => {
    const r = await run(['kube', '--apps', APPS, '--policy', POLICY, '--with-secrets']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give --secrets DIR');
  });
});
