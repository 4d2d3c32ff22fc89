// What differs between a container as podman shows it and the spec it should run. Only what podman
// was told is compared (podman fills in defaults: image env, extra tmpfs for read-only roots), so a
// container made from the spec never shows false drift. Secrets are compared by keyed hash and shown
// as `(secret)`, never by value.
import type { Difference } from '../core/events.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import { echoedPortKey, mountText, portKey, portText } from './formats.js';

/** The parts of `podman inspect` (compat API) that the comparison reads. */
export interface InspectedContainer {
  Id: string;
  Name: string;
  Config: { Image?: string; Env?: string[] | null };
  HostConfig: {
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    /** `container:ID` when it shares another's network namespace (a pod's infra container, under kube play) */
    NetworkMode?: string;
    Tmpfs?: Record<string, string> | null;
    Mounts?: { Type?: string; Target?: string }[] | null;
  };
  Mounts?: { Type?: string; Name?: string; Source?: string; Destination?: string; RW?: boolean }[] | null;
}

const SECRET = '(secret)';

export function compareContainer(spec: ContainerSpec, actual: InspectedContainer, hashSecret: (value: string) => string): Difference[] {
  const differences: Difference[] = [];
  if (normaliseImage(actual.Config.Image ?? '') !== normaliseImage(spec.image)) {
    differences.push({ field: 'image', expected: spec.image, actual: actual.Config.Image ?? null });
  }
  const env = new Map((actual.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  for (const [key, value] of Object.entries(spec.env)) {
    if (env.get(key) !== value) differences.push({ field: `env.${key}`, expected: value, actual: env.get(key) ?? null });
  }
  for (const [key, { hash }] of Object.entries(spec.secretEnv)) {
    const value = env.get(key);
    if (value === undefined || hashSecret(value) !== hash) differences.push({ field: `env.${key}`, expected: SECRET, actual: value === undefined ? null : `${SECRET} differs` });
  }
  const ports = (binds: string[]) => [...binds].sort();
  const expectedPorts = ports(spec.ports.map((p) => portText(p.hostIp ?? '', p.host, portKey(p))));
  const actualPorts = ports(Object.entries(actual.HostConfig.PortBindings ?? {}).flatMap(([key, list]) =>
    (list ?? []).map((b) => portText(b.HostIp && b.HostIp !== '0.0.0.0' ? b.HostIp : '', b.HostPort, echoedPortKey(key)))));
  if (expectedPorts.join() !== actualPorts.join()) differences.push({ field: 'ports', expected: expectedPorts, actual: actualPorts });

  const mounts = actual.Mounts ?? [];
  const expectedMounts = spec.volumes.flatMap((v) => (v.type !== 'tmpfs' ? [mountText(v.type, v.source, v.target, v.read_only)] : [])).sort();
  const actualMounts = mounts.filter((m) => m.Type === 'bind' || m.Type === 'volume')
    .map((m) => mountText(m.Type, m.Type === 'volume' ? m.Name : m.Source, m.Destination, m.RW === false)).sort();
  if (expectedMounts.join() !== actualMounts.join()) differences.push({ field: 'volumes', expected: expectedMounts, actual: actualMounts });
  // podman 4.3 lists a tmpfs made from HostConfig.Mounts under HostConfig.Tmpfs too; a version that
  // only echoes the request's Mounts is read as well.
  const tmpfs = [...new Set([...Object.keys(actual.HostConfig.Tmpfs ?? {}),
    ...(actual.HostConfig.Mounts ?? []).flatMap((m) => (m.Type === 'tmpfs' && m.Target ? [m.Target] : []))])];
  const missingTmpfs = spec.volumes.flatMap((v) => (v.type === 'tmpfs' && !tmpfs.includes(v.target) ? [v.target] : []));
  if (missingTmpfs.length > 0) differences.push({ field: 'tmpfs', expected: missingTmpfs, actual: tmpfs.sort() });
  return differences;
}

/** `docker.io/library/nginx:1` and `nginx:1` name the same image; so do `x` and `x:latest`. */
export function normaliseImage(image: string): string {
  let name = image.replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (!/[:@][^/]+$/.test(name)) name = `${name}:latest`;
  return name;
}
