// The container's parts for the fast manifest parse (fast-parse.ts): build, ports, volumes, health
// check, resources, security, and the manifest's files. Each answers zod's result, key for key in
// the order of its shape in schema.ts, or NO. Paths are judged by the very functions zod's fields
// call (fields.ts), so what a bind, a file or a build context may name is decided in one place.
import { regexes } from 'zod';
import {
  absolutePathProblem, relativePathProblem,
} from './fields.js';
import {
  bool, duration, envKey, isArr, isObj, keys, NO, objectList, odd, oneOf, only, port, size, str, strings,
  type No, type Obj,
} from './fast-base.js';
import { within } from './paths.js';
import { CAPABILITY, FILE_MODE, HTTP_PATH, TMPFS_MODE, VOLUME_NAME, type Manifest } from './schema.js';

type Container = Manifest['container'];

const BUILD_KEYS = keys('context', 'containerfile', 'args');
const PORT_KEYS = keys('host', 'container', 'protocol', 'host_ip');
const BIND_KEYS = keys('type', 'source', 'target', 'read_only');
const TMPFS_KEYS = keys('type', 'target', 'size', 'mode');
const HTTP_KEYS = keys('type', 'port', 'path', 'interval', 'timeout', 'retries', 'start_period');
const TCP_KEYS = keys('type', 'port', 'interval', 'timeout', 'retries', 'start_period');
const EXEC_KEYS = keys('type', 'command', 'interval', 'timeout', 'retries', 'start_period');
const RESOURCE_KEYS = keys('memory', 'cpus');
const SECURITY_KEYS = keys('cap_add', 'cap_drop', 'read_only_root', 'no_new_privileges');
const FILE_KEYS = keys('path', 'template', 'mode');

const PROTOCOL = ['tcp', 'udp'] as const;

const hostPath = (v: unknown, allowRoot: boolean): v is string => str(v) && absolutePathProblem(v, 'host path', allowRoot) === undefined;
const containerPath = (v: unknown): v is string => str(v) && absolutePathProblem(v, 'container path', false) === undefined;
const relative = (v: unknown, inside: string, isFile: boolean): v is string => str(v) && relativePathProblem(v, inside, isFile) === undefined;

export function buildPart(v: unknown): NonNullable<Container['build']> | No {
  if (!isObj(v) || !only(v, BUILD_KEYS)) return NO;
  const context = v.context === undefined ? '.' : v.context;
  const containerfile = v.containerfile === undefined ? 'Containerfile' : v.containerfile;
  if (!relative(context, 'the app folder', false) || !relative(containerfile, 'the build context', true)) return NO;
  const args: Record<string, string> = {};
  if (v.args !== undefined) {
    if (!isObj(v.args)) return NO;
    for (const k in v.args) {
      const x = v.args[k];
      // z.record(envKey, noNul)
      if (odd(k) || !envKey(k) || typeof x !== 'string' || x.includes('\0')) return NO;
      args[k] = x;
    }
  }
  return { context, containerfile, args };
}

export function portList(v: unknown): Container['ports'] | No {
  return objectList(v, PORT_KEYS, (p) => {
    const protocol = oneOf(p.protocol, PROTOCOL, 'tcp');
    if (!port(p.host) || !port(p.container) || protocol === NO) return NO;
    if (p.host_ip === undefined) return { host: p.host, container: p.container, protocol };
    // z.ipv4(): zod's own pattern, so a zod upgrade moves both
    if (!str(p.host_ip) || !regexes.ipv4.test(p.host_ip)) return NO;
    return { host: p.host, container: p.container, protocol, host_ip: p.host_ip };
  });
}

export function volumeList(v: unknown): Container['volumes'] | No {
  if (!isArr(v)) return NO;
  const out: Container['volumes'] = [];
  for (let i = 0; i < v.length; i++) {
    const x = volume(v[i]);
    if (x === NO) return NO;
    out.push(x);
  }
  return out;
}

function volume(o: unknown): Container['volumes'][number] | No {
  if (!isObj(o)) return NO;
  const { type, source, target } = o;
  if (type === 'bind' || type === 'volume') {
    if (!only(o, BIND_KEYS) || !containerPath(target)) return NO;
    const read_only = bool(o.read_only, false);
    if (read_only === NO) return NO;
    if (type === 'bind') return hostPath(source, true) ? { type, source, target, read_only } : NO;
    return str(source) && VOLUME_NAME.test(source) ? { type, source, target, read_only } : NO;
  }
  if (type !== 'tmpfs' || !only(o, TMPFS_KEYS) || !containerPath(target)) return NO;
  const sized = o.size === undefined ? undefined : size(o.size);
  const mode = o.mode;
  if (sized === NO || (mode !== undefined && !(str(mode) && TMPFS_MODE.test(mode)))) return NO;
  return { type, target, ...(sized === undefined ? {} : { size: sized }), ...(mode === undefined ? {} : { mode }) };
}

/** The health check, and the container's rule that an http or tcp probe needs an address (`reachable`). */
export function healthCheck(o: unknown, reachable: boolean): NonNullable<Container['health_check']> | No {
  if (!isObj(o)) return NO;
  const type = o.type;
  if (type === 'http' || type === 'tcp') {
    if (!reachable || !only(o, type === 'http' ? HTTP_KEYS : TCP_KEYS) || !port(o.port)) return NO;
    const timing = probeTiming(o);
    if (timing === NO) return NO;
    if (type === 'tcp') return { type, port: o.port, ...timing };
    const path = o.path === undefined ? '/' : o.path;
    return str(path) && HTTP_PATH.test(path) ? { type, port: o.port, path, ...timing } : NO;
  }
  if (type !== 'exec' || !only(o, EXEC_KEYS)) return NO;
  const command = strings(o.command);
  if (command === NO || command.length === 0) return NO;
  const timing = probeTiming(o);
  return timing === NO ? NO : { type, command, ...timing };
}

function probeTiming(o: Obj): { interval: number; timeout: number; retries: number; start_period: number } | No {
  const interval = duration(o.interval, '30s');
  const timeout = duration(o.timeout, '5s');
  const start_period = duration(o.start_period, '0s');
  // z.number().int(): a safe integer
  const retries = o.retries === undefined ? 3 : o.retries;
  if (interval === NO || timeout === NO || start_period === NO) return NO;
  if (typeof retries !== 'number' || !Number.isSafeInteger(retries) || retries < 1) return NO;
  return { interval, timeout, retries, start_period };
}

export function resourcesPart(o: unknown): Container['resources'] | No {
  if (o === undefined) return {};
  if (!isObj(o) || !only(o, RESOURCE_KEYS)) return NO;
  const memory = o.memory === undefined ? undefined : size(o.memory);
  const cpus = o.cpus;
  // z.number().positive(): finite and above zero
  if (memory === NO || (cpus !== undefined && !(typeof cpus === 'number' && Number.isFinite(cpus) && cpus > 0))) return NO;
  return { ...(memory === undefined ? {} : { memory }), ...(cpus === undefined ? {} : { cpus }) };
}

/** schema.ts's capability: the name upper-cased, without CAP_. */
const capability = (c: unknown): string | No => (str(c) && CAPABILITY.test(c) ? c.toUpperCase().replace(/^CAP_/, '') : NO);

function capabilities(v: unknown, allowAll: boolean): string[] | No {
  if (v === undefined) return [];
  if (!isArr(v)) return NO;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = allowAll && v[i] === 'ALL' ? 'ALL' : capability(v[i]);
    if (c === NO) return NO;
    out.push(c);
  }
  return out;
}

export function securityPart(o: unknown): Container['security'] | No {
  if (o === undefined) return { cap_add: [], cap_drop: [], read_only_root: false, no_new_privileges: false };
  if (!isObj(o) || !only(o, SECURITY_KEYS)) return NO;
  const cap_add = capabilities(o.cap_add, false);
  const cap_drop = capabilities(o.cap_drop, true);
  const read_only_root = bool(o.read_only_root, false);
  const no_new_privileges = bool(o.no_new_privileges, false);
  if (cap_add === NO || cap_drop === NO || read_only_root === NO || no_new_privileges === NO) return NO;
  return { cap_add, cap_drop, read_only_root, no_new_privileges };
}

/** The files, each under one of the container's bind sources (the manifest's superRefine). */
export function fileList(v: unknown, volumes: Container['volumes']): Manifest['files'] | No {
  const sources = volumes.flatMap((x) => (x.type === 'bind' ? [x.source] : []));
  return objectList(v, FILE_KEYS, ({ path, template, mode }) => {
    if (!hostPath(path, false) || !relative(template, 'the app folder', true)) return NO;
    if (mode !== undefined && !(str(mode) && FILE_MODE.test(mode))) return NO;
    if (!sources.some((s) => within(path, s))) return NO;
    return mode === undefined ? { path, template } : { path, template, mode };
  });
}
