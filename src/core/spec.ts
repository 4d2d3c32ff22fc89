// Desired spec = manifest + derived env resolved from host facts + secret hashes + rendered file
// hashes, normalised and hashed. Resolved afresh on every plan, so no fact can stay baked in stale.
import { containerNameOf, type Manifest } from './manifest/schema.js';
import type { Reason } from './events.js';
import { placeholdersIn, renderTemplate, SECRET_PREFIX } from './facts.js';
import { hashOf, sha256 } from './hash.js';
import type { ContainerSpec } from './spec-schema.js';
import type { AppState, State } from './state.js';

/** Bump when what goes into the hash changes; containers with an older version are migrated, not recreated. */
export const HASH_VERSION = 2;

export const LABELS = {
  app: 'podledger.app',
  specHash: 'podledger.spec-hash',
  hashVersion: 'podledger.hash-version',
  /** the spec hash in base32, for engines that cap label values at 63 characters (Kubernetes, kube play) */
  specHashLabel: 'podledger.spec-hash-b32',
} as const;

export type Resolution =
  | { ok: true; spec: ContainerSpec; hash: string; provenance: Provenance }
  | { ok: false; reasons: Reason[] };

/** For each spec field path (`env.FM_API_URL`, `image`), the seq of the newest event its value came from. */
export type Provenance = Record<string, number>;

/**
 * How each hash version hashed a spec. A container labelled with an older version is accepted when
 * that version's hash of today's desired spec matches its label: upgrading podledger recreates nothing.
 */
export const SPEC_HASHERS: Readonly<Record<number, (spec: ContainerSpec) => string>> = {
  1: (spec) => {
    const v1 = specAsV1(spec);
    return v1 ? hashOf({ hashVersion: 1, spec: v1 }) : 'not-expressible-in-v1';
  },
  2: (spec) => hashOf({ hashVersion: 2, spec }),
};

/**
 * The spec as hash version 1 (podledger 0.1 development) wrote it: fewer fields, tmpfs `options`.
 * A spec using anything v1 could not express has no v1 form, so no v1 container can match it.
 */
function specAsV1(spec: ContainerSpec): object | undefined {
  const sec = spec.security;
  const unsupported = spec.command || spec.hostname || spec.user || spec.dataUid || spec.healthCheck || spec.devices.length > 0
    || spec.resources.memory !== undefined || spec.resources.cpus !== undefined || spec.ports.some((p) => p.hostIp)
    || sec.capAdd.length > 0 || sec.capDrop.length > 0 || sec.readOnlyRoot || sec.noNewPrivileges
    || spec.volumes.some((v) => v.type === 'volume' || (v.type === 'tmpfs' && v.mode));
  if (unsupported) return undefined;
  return {
    app: spec.app, name: spec.name, image: spec.image, network: spec.network,
    ...(spec.entrypoint ? { entrypoint: spec.entrypoint } : {}),
    cmd: spec.cmd, ports: spec.ports,
    volumes: spec.volumes.map((v) => (v.type === 'tmpfs' ? { type: 'tmpfs', target: v.target, ...(v.size ? { options: `size=${sizeText(v.size)}` } : {}) } : v)),
    env: spec.env, secretEnv: spec.secretEnv, files: spec.files, stopTimeout: spec.stopTimeout,
  };
}

/** 1048576 → "1m": how v1 manifests wrote sizes. */
function sizeText(bytes: number): string {
  for (const [unit, n] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) if (bytes % n === 0) return `${bytes / n}${unit}`;
  return String(bytes);
}

export function specHash(spec: ContainerSpec): string {
  return SPEC_HASHERS[HASH_VERSION]!(spec);
}

/**
 * The container runs the desired spec, by the hash of whichever version made it: its label says
 * which, and for one we made (recorded without a label) every version is tried — each hash covers its
 * version number, so versions cannot be confused.
 */
export function acceptsHash(
  c: { specHash?: string; hashVersion?: number },
  desired: { spec: ContainerSpec; hash: string },
  hashers: Readonly<Record<number, (spec: ContainerSpec) => string>> = SPEC_HASHERS,
): boolean {
  if (c.specHash === undefined) return false;
  if (c.specHash === desired.hash) return true;
  const versions = c.hashVersion !== undefined ? [c.hashVersion] : Object.keys(hashers).map(Number);
  return versions.some((v) => v !== HASH_VERSION && hashers[v]?.(desired.spec) === c.specHash);
}

/**
 * The mode a rendered file is written with: its own, else 0600 when its template holds a
 * `{{secret:...}}` (a rendered secret is not for every user on the host), else 0644. A file with a
 * mode, or without a secret, has the mode (and so the hash) it had when `mode` defaulted to 0644.
 */
export function renderedFileMode(file: { mode?: string | undefined }, template: string): string {
  if (file.mode !== undefined) return file.mode;
  return placeholdersIn(template).some((name) => name.startsWith(SECRET_PREFIX)) ? '0600' : '0644';
}

/** Image tag for a locally built app: changes whenever the context, containerfile or args change. */
export function buildTag(appId: string, m: Manifest, contextHash: string): string {
  const build = m.container.build;
  return `localhost/podledger/${appId}:${hashOf({ contextHash, build }).slice(0, 16)}`;
}

/**
 * The app configuration to converge on: its manifest, unless it was rolled back, in which case the
 * last healthy configuration, until the manifest changes again. Facts and secrets are always current.
 */
export function desiredApp(state: Pick<State, 'apps' | 'pinned'>, id: string): AppState | undefined {
  const app = state.apps[id];
  const pin = state.pinned[id];
  if (!app || !pin || app.manifestHash !== pin.badManifestHash) return app;
  const c = pin.config;
  return {
    ...app, manifest: c.manifest, templates: c.templates,
    ...(c.buildContextHash ? { buildContextHash: c.buildContextHash } : {}),
  };
}

/**
 * Resolutions by app state, valid while facts and secrets are the same objects: the fold shares
 * unchanged parts between states, so a plan re-resolves only what an event touched. Pure memoisation.
 */
const resolved = new WeakMap<AppState, { facts: State['facts']; secrets: State['secrets']; result: Resolution }>();

export function resolveSpec(app: AppState, state: Pick<State, 'facts' | 'secrets'>): Resolution {
  const hit = resolved.get(app);
  if (hit && hit.facts === state.facts && hit.secrets === state.secrets) return hit.result;
  const result = resolveUncached(app, state);
  resolved.set(app, { facts: state.facts, secrets: state.secrets, result });
  return result;
}

/**
 * `resolveSpec` without the memo: for callers whose app, facts or secrets may still change in place
 * (the fold, on its draft), which the memo — valid only while those objects are unchanged — cannot tell.
 */
export function resolveUncached(app: AppState, state: Pick<State, 'facts' | 'secrets'>): Resolution {
  const m = app.manifest;
  if (!m) return { ok: false, reasons: [{ code: 'no-valid-manifest' }] };
  const manifestSeq = app.manifestSeq ?? 0;
  const provenance: Provenance = {};
  const missing: Reason[] = [];
  const factValues = Object.fromEntries(Object.entries(state.facts).map(([k, f]) => [k, f.value]));
  const factSeq = (names: string[]) => Math.max(manifestSeq, ...names.map((n) => state.facts[n]?.seq ?? 0));
  const needFacts = (names: string[]) => {
    for (const name of names) {
      if (factValues[name] === undefined || factValues[name] === '') missing.push({ code: 'waiting-on-fact', field: name });
    }
  };

  const env: Record<string, string> = { ...m.container.environment };
  for (const d of m.container.derived_env) {
    const names = placeholdersIn(d.template);
    const rendered = renderTemplate(d.template, factValues);
    if (!rendered.ok) needFacts(rendered.missing);
    else env[d.key] = rendered.value;
    provenance[`env.${d.key}`] = factSeq(names);
  }

  const secretEnv: ContainerSpec['secretEnv'] = {};
  for (const s of m.container.secret_env) {
    const secret = state.secrets[s.secret_file];
    if (!secret) missing.push({ code: 'waiting-on-secret', field: s.secret_file });
    else {
      secretEnv[s.key] = { secret: s.secret_file, hash: secret.hash };
      provenance[`secretEnv.${s.key}`] = Math.max(manifestSeq, secret.seq);
    }
  }

  // Files are hashed as rendered with secret *hashes* in place of secrets: the hash changes with the
  // secret, yet the secret never reaches the core. The executor renders the real bytes.
  const files: Record<string, string> = {};
  for (const f of m.files) {
    const template = app.templates[f.template];
    if (template === undefined) {
      missing.push({ code: 'template-missing', field: f.template });
      continue;
    }
    const names = placeholdersIn(template);
    const values: Record<string, string | number | undefined> = { ...factValues };
    const seqs = [manifestSeq];
    for (const name of names) {
      if (!name.startsWith(SECRET_PREFIX)) continue;
      const secret = state.secrets[name.slice(SECRET_PREFIX.length)];
      if (!secret) missing.push({ code: 'waiting-on-secret', field: name.slice(SECRET_PREFIX.length) });
      else { values[name] = `secret-hash:${secret.hash}`; seqs.push(secret.seq); }
    }
    const rendered = renderTemplate(template, values);
    if (!rendered.ok) { needFacts(rendered.missing.filter((n) => !n.startsWith(SECRET_PREFIX))); continue; }
    files[f.path] = sha256(`${renderedFileMode(f, template)}\n${rendered.value}`);
    provenance[`files.${f.path}`] = Math.max(factSeq(names.filter((n) => !n.startsWith(SECRET_PREFIX))), ...seqs);
  }

  if (missing.length > 0) return { ok: false, reasons: dedupe(missing) };

  const c = m.container;
  let image = c.image;
  if (c.build) {
    if (!app.buildContextHash) return { ok: false, reasons: [{ code: 'build-context-unknown' }] };
    image = buildTag(m.app.id, m, app.buildContextHash);
  }
  const spec = specOf(m, image as string, { env, secretEnv, files });
  return { ok: true, spec, hash: specHash(spec), provenance };
}

/** The spec's fields from the manifest, with the values resolved from facts and secrets. */
function specOf(m: Manifest, image: string, resolved: Pick<ContainerSpec, 'env' | 'secretEnv' | 'files'>): ContainerSpec {
  const { env, secretEnv, files } = resolved;
  const c = m.container;
  const hc = c.health_check;
  return {
    app: m.app.id,
    name: containerNameOf(m),
    image,
    network: c.network,
    ...(c.hostname ? { hostname: c.hostname } : {}),
    ...(c.entrypoint ? { entrypoint: [...c.entrypoint] } : {}),
    ...(c.command ? { command: [...c.command] } : {}),
    cmd: [...c.custom_args],
    ports: c.ports.map((p) => ({ host: p.host, container: p.container, protocol: p.protocol, ...(p.host_ip ? { hostIp: p.host_ip } : {}) })),
    volumes: c.volumes.map((v) => ({ ...v })),
    env: sortKeys(env),
    secretEnv: sortKeys(secretEnv),
    files: sortKeys(files),
    stopTimeout: Math.ceil(c.stop_timeout / 1000),
    ...(c.user ? { user: c.user } : {}),
    ...(c.data_uid ? { dataUid: c.data_uid } : {}),
    devices: [...c.devices],
    ...(hc ? {
      healthCheck: {
        type: hc.type, intervalMs: hc.interval, timeoutMs: hc.timeout, retries: hc.retries, startPeriodMs: hc.start_period,
        ...(hc.type === 'exec' ? { command: [...hc.command] } : { port: hc.port }),
        ...(hc.type === 'http' ? { path: hc.path } : {}),
      },
    } : {}),
    resources: { ...c.resources },
    security: {
      capAdd: [...c.security.cap_add].sort(), capDrop: [...c.security.cap_drop].sort(),
      readOnlyRoot: c.security.read_only_root, noNewPrivileges: c.security.no_new_privileges,
    },
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function dedupe(reasons: Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const key = `${r.code}:${r.field ?? ''}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

export type FieldChange = { field: string; from: unknown; to: unknown };

const SECRET_CHANGED = '(secret changed)';

/**
 * Field-level differences between the spec a container was created with and the desired one.
 * Maps are compared key by key (`env.X`), lists as whole values. Secrets never show a value.
 */
export function diffSpecs(from: ContainerSpec, to: ContainerSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort() as (keyof ContainerSpec)[];
  for (const key of keys) {
    const a = from[key];
    const b = to[key];
    if (isRecord(a) || isRecord(b)) {
      const ra = (a ?? {}) as Record<string, unknown>;
      const rb = (b ?? {}) as Record<string, unknown>;
      for (const sub of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
        if (hashOf(ra[sub] ?? null) === hashOf(rb[sub] ?? null)) continue;
        const field = `${key}.${sub}`;
        if (key === 'secretEnv') changes.push({ field, from: ra[sub] ? SECRET_CHANGED : null, to: rb[sub] ? SECRET_CHANGED : null });
        else if (key === 'files') changes.push({ field, from: short(ra[sub]), to: short(rb[sub]) });
        else changes.push({ field, from: ra[sub] ?? null, to: rb[sub] ?? null });
      }
    } else if (hashOf(a ?? null) !== hashOf(b ?? null)) {
      changes.push({ field: key, from: a ?? null, to: b ?? null });
    }
  }
  return changes;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const short = (hash: unknown) => (typeof hash === 'string' ? `content ${hash.slice(0, 12)}` : null);
