// A hand-written parse of the manifest, for the fold and the manifest reader: zod's parse of a small
// manifest costs 50–200 µs (cold to warm), building zod's schemas ~20 M instructions, and a 300k-event
// export observes ~1,400 manifests, most of them distinct (docs/benchmarks.md, replay3, mparse).
//
// It only ever answers "valid, and this is what zod makes of it" or "not sure" (undefined): anything
// it does not cover, and anything wrong, goes to zod, so every error still comes from zod, worded as
// zod words it. Covered: every field of the schema (the container's parts in fast-parts.ts). Left to
// zod: any object that is not plain JSON data (another prototype, `__proto__` or `constructor` keys,
// undefined values), and every manifest with something wrong in it.
// test/unit/fuzz/manifest-fast-parse*.test.ts hold it to zod's result on random and hostile input.
import { FACT_NAMES, placeholdersIn } from '../facts.js';
import {
  appId, checkedStrings, duration, envKey, isArr, isObj, keys, NO, nonEmpty, objectList, odd, oneOf, only, optMatch, str, strings,
  type No,
} from './fast-base.js';
import { buildPart, fileList, healthCheck, portList, resourcesPart, securityPart, volumeList } from './fast-parts.js';
import { deviceProblem, imageProblem, networkKind, networkProblem } from './fields.js';
import { DATA_UID, HOSTNAME, isSecretName, USER, type Manifest } from './schema.js';

const MANIFEST_KEYS = keys('app', 'container', 'dependencies', 'files');
const APP_KEYS = keys('id', 'name', 'version', 'description');
const CONTAINER_KEYS = keys(
  'image', 'build', 'pull_policy', 'name', 'network', 'hostname', 'entrypoint', 'command', 'custom_args', 'ports', 'volumes', 'environment',
  'derived_env', 'secret_env', 'data_uid', 'user', 'devices', 'health_check', 'restart', 'stop_timeout', 'resources', 'security',
);
const DERIVED_KEYS = keys('key', 'template');
const SECRET_KEYS = keys('key', 'secret_file');
const DEPENDENCY_KEYS = keys('app', 'condition', 'restart');

const PULL = ['missing', 'always', 'never'] as const;
const RESTART = ['always', 'on-failure', 'no'] as const;
const CONDITION = ['started', 'healthy'] as const;

/** Zod's result for a manifest this covers, key for key in zod's order; undefined when not covered or not valid. */
export function fastParse(raw: unknown): Manifest | undefined {
  const m = manifest(raw);
  return m === NO ? undefined : m;
}

function manifest(raw: unknown): Manifest | No {
  if (!isObj(raw)) return NO;
  if (!only(raw, MANIFEST_KEYS)) return NO;
  const app = appPart(raw.app);
  if (app === NO) return NO;
  const envKeys = new Set<string>();
  const container = containerPart(raw.container, envKeys);
  if (container === NO) return NO;
  const dependencies = raw.dependencies === undefined ? [] : dependencyList(raw.dependencies);
  if (dependencies === NO) return NO;
  const files = raw.files === undefined ? [] : fileList(raw.files, container.volumes);
  if (files === NO) return NO;
  return { app, container, dependencies, files };
}

function appPart(v: unknown): Manifest['app'] | No {
  if (!isObj(v)) return NO;
  if (!only(v, APP_KEYS)) return NO;
  const { id, name, version, description } = v;
  if (!appId(id) || !nonEmpty(name) || !nonEmpty(version)) return NO;
  if (description === undefined) return { id, name, version };
  return str(description) ? { id, name, version, description } : NO;
}

/** `v` as given when absent or of `ok`'s kind: the optional fields zod passes through unchanged. */
const given = <T,>(v: unknown, ok: (x: unknown) => x is T): v is T | undefined => v === undefined || ok(v);
const isImage = (x: unknown): x is string => str(x) && imageProblem(x) === undefined;
const optional = <K extends string, T>(key: K, v: T | undefined): { [k in K]?: T } => (v === undefined ? {} : { [key]: v }) as { [k in K]?: T };

function containerPart(v: unknown, envKeys: Set<string>): Manifest['container'] | No {
  if (!isObj(v)) return NO;
  if (!only(v, CONTAINER_KEYS)) return NO;
  // exactly one of image or build (the container's superRefine)
  const { image, name, hostname, data_uid, user } = v;
  if ((image === undefined) === (v.build === undefined) || !given(image, isImage)) return NO;
  const build = v.build === undefined ? undefined : buildPart(v.build);
  const pull_policy = oneOf(v.pull_policy, PULL, 'missing');
  if (build === NO || pull_policy === NO || !given(name, appId)) return NO;
  const network = v.network === undefined ? 'podledger' : v.network;
  if (!str(network) || networkProblem(network) !== undefined) return NO;
  if (!optMatch(hostname, HOSTNAME) || !optMatch(data_uid, DATA_UID) || !optMatch(user, USER)) return NO;
  const entrypoint = v.entrypoint === undefined ? undefined : strings(v.entrypoint);
  const command = v.command === undefined ? undefined : strings(v.command);
  const custom_args = v.custom_args === undefined ? [] : strings(v.custom_args);
  if (entrypoint === NO || command === NO || custom_args === NO) return NO;
  const ports = v.ports === undefined ? [] : portList(v.ports);
  const volumes = v.volumes === undefined ? [] : volumeList(v.volumes);
  const environment = v.environment === undefined ? {} : envRecord(v.environment, envKeys);
  if (ports === NO || volumes === NO || environment === NO) return NO;
  const derived_env = v.derived_env === undefined ? [] : derivedList(v.derived_env, envKeys);
  if (derived_env === NO) return NO;
  const secret_env = v.secret_env === undefined ? [] : secretList(v.secret_env, envKeys);
  if (secret_env === NO) return NO;
  const devices = v.devices === undefined ? [] : checkedStrings(v.devices, deviceProblem);
  // an http or tcp probe needs the container's address (the container's superRefine)
  const kind = networkKind(network);
  const health_check = v.health_check === undefined ? undefined : healthCheck(v.health_check, kind !== 'none' && kind !== 'ns');
  const restart = oneOf(v.restart, RESTART, 'always');
  const stop_timeout = duration(v.stop_timeout, '10s');
  const resources = resourcesPart(v.resources);
  const security = securityPart(v.security);
  if (devices === NO || health_check === NO || restart === NO || stop_timeout === NO || resources === NO || security === NO) return NO;
  // zod's shape order; optional keys only when given
  return {
    ...optional('image', image as string | undefined),
    ...optional('build', build),
    pull_policy,
    ...optional('name', name as string | undefined),
    network,
    ...optional('hostname', hostname as string | undefined),
    ...optional('entrypoint', entrypoint),
    ...optional('command', command),
    custom_args,
    ports,
    volumes,
    environment,
    derived_env,
    secret_env,
    ...optional('data_uid', data_uid as string | undefined),
    ...optional('user', user as string | undefined),
    devices,
    ...optional('health_check', health_check),
    restart,
    stop_timeout,
    resources,
    security,
  };
}

/** An env key said twice (in any of the three lists) is zod's error (the container's superRefine). */
function claim(key: string, envKeys: Set<string>): boolean {
  if (envKeys.has(key)) return false;
  envKeys.add(key);
  return true;
}

function envRecord(v: unknown, envKeys: Set<string>): Record<string, string> | No {
  if (!isObj(v)) return NO;
  const out: Record<string, string> = {};
  for (const k in v) {
    if (odd(k) || !envKey(k) || !claim(k, envKeys)) return NO;
    const x = v[k];
    // z.union([string, number, boolean]).transform(String).pipe(noNul); z.number() refuses NaN and ±Infinity
    if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) return NO;
    const s = String(x);
    if (s.includes('\0')) return NO;
    out[k] = s;
  }
  return out;
}

function derivedList(v: unknown, envKeys: Set<string>): Manifest['container']['derived_env'] | No {
  const out = objectList(v, DERIVED_KEYS, ({ key, template }) => {
    if (!envKey(key) || !str(template)) return NO;
    // template(false): every placeholder a known fact (no secrets)
    for (const name of placeholdersIn(template)) if (!(FACT_NAMES as readonly string[]).includes(name)) return NO;
    return { key, template };
  });
  if (out === NO) return NO;
  // claimed after the environment, in list order, as the superRefine does
  for (const d of out) if (!claim(d.key, envKeys)) return NO;
  return out;
}

function secretList(v: unknown, envKeys: Set<string>): Manifest['container']['secret_env'] | No {
  return objectList(v, SECRET_KEYS, ({ key, secret_file }) => {
    if (!envKey(key) || !str(secret_file) || !isSecretName(secret_file) || !claim(key, envKeys)) return NO;
    return { key, secret_file };
  });
}

function dependencyList(v: unknown): Manifest['dependencies'] | No {
  if (!isArr(v)) return NO;
  const out: Manifest['dependencies'] = [];
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (appId(d)) { out.push(d); continue; }
    if (!isObj(d)) return NO;
    if (!only(d, DEPENDENCY_KEYS)) return NO;
    const condition = oneOf(d.condition, CONDITION, 'started');
    const restart = d.restart === undefined ? false : d.restart;
    if (!appId(d.app) || condition === NO || typeof restart !== 'boolean') return NO;
    out.push({ app: d.app, condition, restart });
  }
  return out;
}
