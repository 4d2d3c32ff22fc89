// A hand-written parse of the common, plain manifest, for the fold: zod's parse of a small manifest
// costs 50–200 µs (cold to warm), and a 300k-event export observes ~1,400 manifests, most of them
// distinct (docs/benchmarks.md, replay3).
//
// It only ever answers "valid, and this is what zod makes of it" or "not sure" (undefined): anything
// it does not cover, and anything wrong, goes to zod, so every error still comes from zod, worded as
// zod words it. Covered: app; container with image (not build), pull_policy, name, network,
// entrypoint, command, custom_args, ports without host_ip, environment, derived_env, secret_env,
// restart, stop_timeout; dependencies. Not covered (zod): build, hostname, volumes, data_uid, user,
// devices, health_check, resources, security, files (but an empty list), and any object that is not
// plain JSON data (another prototype, `__proto__` or `constructor` keys, undefined values).
// test/unit/fuzz/manifest-fast-parse.test.ts holds it to zod's result on random and hostile input.
import { FACT_NAMES, placeholdersIn } from '../facts.js';
import { imageProblem, networkProblem } from './fields.js';
import { APP_ID, ENV_KEY, isSecretName, type Manifest } from './schema.js';
import { parseDuration } from './units.js';

type Obj = Record<string, unknown>;

/** A plain object as JSON.parse makes them; keys are then read with for-in, as own keys. */
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const isArr = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
const str = (v: unknown): v is string => typeof v === 'string';
/** nonEmpty in schema.ts: min(1), then no NUL. */
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.includes('\0');
const appId = (v: unknown): v is string => typeof v === 'string' && APP_ID.test(v);
const envKey = (v: unknown): v is string => typeof v === 'string' && ENV_KEY.test(v);
const port = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/** A key zod's objects treat apart, or that would change what is built: left to zod. */
const odd = (k: string) => k === '__proto__' || k === 'constructor';

/**
 * Every key of `o` is one of `keys`, with a value: a key given as undefined (not JSON, but an
 * object built in process may hold one) is kept by zod as a key, so it is left to zod.
 */
function only(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k) || o[k] === undefined) return false;
  return true;
}
const keys = (...names: string[]): ReadonlySet<string> => new Set(names);
const MANIFEST_KEYS = keys('app', 'container', 'dependencies', 'files');
const APP_KEYS = keys('id', 'name', 'version', 'description');
const CONTAINER_KEYS = keys('image', 'pull_policy', 'name', 'network', 'entrypoint', 'command', 'custom_args', 'ports', 'environment', 'derived_env', 'secret_env', 'restart', 'stop_timeout');
const PORT_KEYS = keys('host', 'container', 'protocol');
const DERIVED_KEYS = keys('key', 'template');
const SECRET_KEYS = keys('key', 'secret_file');
const DEPENDENCY_KEYS = keys('app', 'condition', 'restart');

/** "Not sure", so zod decides. */
const NO = Symbol('not covered');
type No = typeof NO;

function strings(v: unknown): string[] | No {
  if (!isArr(v)) return NO;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (!nonEmpty(s)) return NO;
    out.push(s);
  }
  return out;
}

function oneOf<T extends string>(v: unknown, choices: readonly T[], fallback: T): T | No {
  if (v === undefined) return fallback;
  return typeof v === 'string' && (choices as readonly string[]).includes(v) ? v as T : NO;
}

const PULL = ['missing', 'always', 'never'] as const;
const RESTART = ['always', 'on-failure', 'no'] as const;
const PROTOCOL = ['tcp', 'udp'] as const;
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
  // a file must lie under a bind, and this covers no volumes: only an empty list
  if (raw.files !== undefined && !(isArr(raw.files) && raw.files.length === 0)) return NO;
  return { app, container, dependencies, files: [] } as Manifest;
}

function appPart(v: unknown): Manifest['app'] | No {
  if (!isObj(v)) return NO;
  if (!only(v, APP_KEYS)) return NO;
  const { id, name, version, description } = v;
  if (!appId(id) || !nonEmpty(name) || !nonEmpty(version)) return NO;
  if (description === undefined) return { id, name, version };
  return str(description) ? { id, name, version, description } : NO;
}

function containerPart(v: unknown, envKeys: Set<string>): Manifest['container'] | No {
  if (!isObj(v)) return NO;
  if (!only(v, CONTAINER_KEYS)) return NO;
  const image = v.image;
  if (!str(image) || imageProblem(image) !== undefined) return NO;
  const pull_policy = oneOf(v.pull_policy, PULL, 'missing');
  if (pull_policy === NO) return NO;
  if (v.name !== undefined && !appId(v.name)) return NO;
  const network = v.network === undefined ? 'podledger' : v.network;
  if (!str(network) || networkProblem(network) !== undefined) return NO;
  const entrypoint = v.entrypoint === undefined ? undefined : strings(v.entrypoint);
  const command = v.command === undefined ? undefined : strings(v.command);
  const custom_args = v.custom_args === undefined ? [] : strings(v.custom_args);
  if (entrypoint === NO || command === NO || custom_args === NO) return NO;
  const ports = v.ports === undefined ? [] : portList(v.ports);
  const environment = v.environment === undefined ? {} : envRecord(v.environment, envKeys);
  if (ports === NO || environment === NO) return NO;
  const derived_env = v.derived_env === undefined ? [] : derivedList(v.derived_env, envKeys);
  if (derived_env === NO) return NO;
  const secret_env = v.secret_env === undefined ? [] : secretList(v.secret_env, envKeys);
  if (secret_env === NO) return NO;
  const restart = oneOf(v.restart, RESTART, 'always');
  // duration(): z.union([string, number]) (finite), then parseDuration; prefault('10s')
  const t = v.stop_timeout === undefined ? '10s' : v.stop_timeout;
  if (restart === NO || !(typeof t === 'string' || (typeof t === 'number' && Number.isFinite(t)))) return NO;
  const stop = parseDuration(t);
  if (!stop.ok) return NO;
  // zod's shape order; optional keys only when given
  return {
    image,
    pull_policy,
    ...(v.name === undefined ? {} : { name: v.name as string }),
    network,
    ...(entrypoint === undefined ? {} : { entrypoint }),
    ...(command === undefined ? {} : { command }),
    custom_args,
    ports,
    volumes: [],
    environment,
    derived_env,
    secret_env,
    devices: [],
    restart,
    stop_timeout: stop.value,
    resources: {},
    security: { cap_add: [], cap_drop: [], read_only_root: false, no_new_privileges: false },
  };
}

/** A list whose every element is a plain object of only `allowed` keys that `item` covers; NO if one is not. */
function objectList<T>(v: unknown, allowed: ReadonlySet<string>, item: (o: Obj) => T | No): T[] | No {
  if (!isArr(v)) return NO;
  const out: T[] = [];
  for (let i = 0; i < v.length; i++) {
    const o = v[i];
    if (!isObj(o) || !only(o, allowed)) return NO;
    const x = item(o);
    if (x === NO) return NO;
    out.push(x);
  }
  return out;
}

function portList(v: unknown): Manifest['container']['ports'] | No {
  return objectList(v, PORT_KEYS, (p) => {
    const protocol = oneOf(p.protocol, PROTOCOL, 'tcp');
    if (!port(p.host) || !port(p.container) || protocol === NO) return NO;
    return { host: p.host, container: p.container, protocol };
  });
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
