// `podledger kube`: the catalog as Kubernetes YAML (docs/kube.md). Each app is resolved as the daemon
// resolves it (src/core/spec.ts), so env, ports and mounts are what podledger would run; the mapping
// itself is pure (src/core/kube); this reads the files and prints.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document } from 'yaml';
import { placeholdersIn, renderTemplate, SECRET_PREFIX, type HostFacts } from '../core/facts.js';
import { dependencyOrder } from '../core/manifest/dependencies.js';
import { fastParse } from '../core/manifest/fast-parse.js';
import { manifestSchema, type Manifest } from '../core/manifest/schema.js';
import { renderKube, KubeNameError } from '../core/kube/render.js';
import type { KubeApp, KubeFile, KubeOutput } from '../core/kube/model.js';
import { HASH_VERSION, renderedFileMode, resolveUncached } from '../core/spec.js';
import type { AppState, State } from '../core/state.js';
import type { ManifestReading } from '../core/observations.js';
import { readSecretHashes, secretValue } from '../host/secrets.js';
import type { Common } from './commands.js';
import { InvalidInputError, UsageError } from './errors.js';

export interface KubeOptions extends Common {
  withSecrets?: boolean;
  workload: 'pod' | 'deployment';
  waitImage: string;
  out?: string;
}


export async function kube(o: KubeOptions): Promise<void> {
  if (o.withSecrets && !o.secrets) throw new UsageError('kube: --with-secrets puts the secrets\' values into the output: give --secrets DIR, the folder of secret files');
  const [{ readCatalog }, { formatManifestError }, { readFactsFile }] = await Promise.all([
    import('../observe/manifests.js'), import('../manifest/parse.js'), import('../observe/host-facts.js')]);
  const { readings } = await readCatalog(o.apps, { policyFile: o.policy, secretsDir: o.secrets, podmanSocket: o.podmanSocket });
  const errors = [...readings.values()].flatMap((r) => (r.ok ? [] : r.errors));
  if (errors.length > 0) throw new InvalidInputError(`kube: ${errors.length} error(s) in ${o.apps}; fix them (podledger validate lists them) and render again`, errors.map(formatManifestError).join('\n'));
  const facts: HostFacts = o.hostFacts ? await readFactsFile(o.hostFacts) : {};
  const key = await nodeKey(o.data);
  const hashes = await readSecretHashes(o.secrets, key ?? Buffer.alloc(32));
  const values = o.withSecrets ? await readSecretValues(o.secrets!, [...hashes.keys()]) : undefined;
  const apps = catalogApps(readings, o, facts, hashes, values, key !== undefined);
  let rendered: KubeOutput;
  try {
    rendered = renderKube({ apps, workload: o.workload, waitImage: o.waitImage, hashVersion: HASH_VERSION, ...(values ? { secretValues: values } : {}) });
  } catch (err) {
    if (err instanceof KubeNameError) throw new InvalidInputError(`kube: ${err.message}`);
    throw err;
  }
  for (const g of rendered.gaps) process.stderr.write(`podledger: kube: app ${g.app}: ${g.field}: not expressible in Kubernetes: ${g.why}\n`);
  for (const n of rendered.notes) process.stderr.write(`podledger: kube: app ${n.app}: ${n.field}: note: ${n.why}\n`);
  const text = yamlOf(rendered);
  // with values inside, the file is the operator's alone, as the secrets folder is
  if (o.out) await writeFile(o.out, text, { mode: o.withSecrets ? 0o600 : 0o644 });
  else process.stdout.write(text);
}

/** Multi-document YAML, one object each, its comment above it; never folded, so values stay whole. */
export function yamlOf(rendered: KubeOutput): string {
  const header = '# Rendered by podledger kube from the app catalog (docs/kube.md). Lines marked FILL IN need values.\n';
  return header + rendered.documents.map((d) => {
    const doc = new Document(d.object);
    if (d.comment) doc.commentBefore = ` ${d.comment}`;
    return `---\n${doc.toString({ lineWidth: 0 })}`;
  }).join('');
}

async function nodeKey(data: string): Promise<Buffer | undefined> {
  const { readNodeKey } = await import('../log/node-identity.js');
  return readNodeKey(data).catch(() => undefined);
}

async function readSecretValues(dir: string, names: string[]): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of names) values[name] = secretValue(await readFile(path.join(dir, name)));
  return values;
}

/** The secrets an app uses: its secret_env and the {{secret:NAME}} of its templates. */
function secretsOf(m: Manifest, templates: Record<string, string>): string[] {
  const inFiles = m.files.flatMap((f) => placeholdersIn(templates[f.template] ?? '').filter((p) => p.startsWith(SECRET_PREFIX)).map((p) => p.slice(SECRET_PREFIX.length)));
  return [...new Set([...m.container.secret_env.map((s) => s.secret_file), ...inFiles])].sort();
}

/**
 * Every app, resolved as the daemon would with these facts and secrets, in dependency order. A
 * secret not read is resolved with a stand-in hash (its value is not needed to render a reference
 * to it), and the app's spec hash is then left out, as it is when only a known key could hash it.
 */
function catalogApps(readings: ReadonlyMap<string, ManifestReading>, o: KubeOptions, facts: HostFacts, hashes: ReadonlyMap<string, string>, values: Record<string, string> | undefined, keyed: boolean): KubeApp[] {
  const manifests = new Map<string, { manifest: Manifest; reading: Extract<ManifestReading, { ok: true }> }>();
  for (const [id, r] of readings) if (r.ok) manifests.set(id, { manifest: fastParse(r.manifest) ?? manifestSchema().parse(r.manifest), reading: r }); // zod only where the hand-written parse does not answer (its result is zod's: test/unit/fuzz)
  const state: Pick<State, 'facts' | 'secrets'> = {
    facts: Object.fromEntries(Object.entries(facts).map(([k, value]) => [k, { value, seq: 0 }])),
    secrets: {},
  };
  const apps: KubeApp[] = [];
  for (const id of dependencyOrder(new Map([...manifests].map(([k, v]) => [k, v.manifest])))) {
    const { manifest, reading } = manifests.get(id)!;
    const used = secretsOf(manifest, reading.templates);
    const unread = used.filter((s) => !hashes.has(s));
    if (unread.length > 0 && values) throw new InvalidInputError(`kube: app ${id}: secret file ${unread.join(', ')} is not in ${o.secrets}; --with-secrets renders every value: add the file, or leave out --with-secrets`);
    for (const s of used) state.secrets[s] = { hash: hashes.get(s) ?? `unread:${s}`, seq: 0 };
    const app: AppState = { id, path: reading.path, manifest, manifestSeq: 0, templates: reading.templates, ...(reading.buildContextHash ? { buildContextHash: reading.buildContextHash } : {}) };
    const resolved = resolveUncached(app, state);
    if (!resolved.ok) throw unresolved(id, resolved.reasons, o);
    const hashTold = used.length === 0 || (unread.length === 0 && (keyed || values !== undefined));
    apps.push({ manifest, spec: resolved.spec, ...(hashTold ? { specHash: resolved.hash } : {}), files: filesOf(manifest, reading.templates, facts, values) });
  }
  return apps;
}

function filesOf(m: Manifest, templates: Record<string, string>, facts: HostFacts, values: Record<string, string> | undefined): KubeFile[] {
  return m.files.map((f) => {
    const template = templates[f.template] ?? '';
    const secret = placeholdersIn(template).some((p) => p.startsWith(SECRET_PREFIX));
    const mode = renderedFileMode(f, template);
    if (secret && !values) return { path: f.path, mode, secret };
    const secretValues = Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [`${SECRET_PREFIX}${k}`, v]));
    const r = renderTemplate(template, { ...facts, ...secretValues });
    return { path: f.path, mode, secret, ...(r.ok ? { text: r.value } : {}) };
  });
}

function unresolved(id: string, reasons: { code: string; field?: string }[], o: KubeOptions): InvalidInputError {
  const said = reasons.map((r) => (r.code === 'waiting-on-fact'
    ? `host fact ${r.field} is needed (derived_env or a file template) and ${o.hostFacts ? `${o.hostFacts} does not give it` : 'no --host-facts FILE was given'}; add "${r.field}" to the facts file`
    : `${r.code}${r.field ? ` ${r.field}` : ''}`));
  return new InvalidInputError(`kube: app ${id}: cannot be resolved: ${said.join('; ')}`);
}
