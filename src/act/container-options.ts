// Spec → the Docker-compatible create request podman takes. Pure, so the mapping is unit-tested.
import type Docker from 'dockerode';
import { HASH_VERSION, LABELS } from '../core/spec.js';
import type { ContainerSpec } from '../core/spec-schema.js';

const NS_PER_MS = 1_000_000;

export interface CreateInputs {
  spec: ContainerSpec;
  specHash: string;
  /** plain, derived and secret values together: the only place secret values meet the spec */
  env: Record<string, string>;
  /** the image's own CMD, for `custom_args` appended to it when the manifest sets no command */
  imageCmd: string[];
}

export function createOptions({ spec, specHash, env, imageCmd }: CreateInputs): Docker.ContainerCreateOptions {
  const ports = Object.fromEntries(
    spec.ports.map((p) => [`${p.container}/${p.protocol}`, [{ HostPort: String(p.host), ...(p.hostIp ? { HostIp: p.hostIp } : {}) }]]),
  );
  const cmd = spec.command ?? (spec.cmd.length > 0 ? imageCmd : undefined);
  const hc = spec.healthCheck;
  return {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(spec.hostname ? { Hostname: spec.hostname } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(cmd || spec.cmd.length > 0 ? { Cmd: [...(cmd ?? []), ...spec.cmd] } : {}),
    Labels: { [LABELS.app]: spec.app, [LABELS.specHash]: specHash, [LABELS.hashVersion]: String(HASH_VERSION) },
    ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])),
    StopTimeout: spec.stopTimeout,
    ...(hc ? {
      // Recorded on the container so `podman healthcheck run` works; the engine runs the probes.
      Healthcheck: {
        Test: hc.type === 'exec' ? ['CMD', ...(hc.command ?? [])]
          : hc.type === 'http' ? ['CMD-SHELL', `wget -q -O /dev/null http://127.0.0.1:${hc.port}${hc.path ?? '/'} || curl -fsS -o /dev/null http://127.0.0.1:${hc.port}${hc.path ?? '/'}`]
          : ['CMD-SHELL', `nc -z 127.0.0.1 ${hc.port}`],
        Interval: hc.intervalMs * NS_PER_MS,
        Timeout: hc.timeoutMs * NS_PER_MS,
        Retries: hc.retries,
        StartPeriod: hc.startPeriodMs * NS_PER_MS,
      },
    } : {}),
    HostConfig: {
      NetworkMode: spec.network,
      PortBindings: ports,
      Binds: spec.volumes.flatMap((v) => (v.type === 'tmpfs' ? [] : [`${v.source}:${v.target}${v.read_only ? ':ro' : ''}`])),
      Tmpfs: Object.fromEntries(spec.volumes.flatMap((v) => (v.type === 'tmpfs' ? [[v.target, tmpfsOptions(v)]] : []))),
      Devices: spec.devices.map(device),
      CapAdd: spec.security.capAdd,
      CapDrop: spec.security.capDrop,
      ReadonlyRootfs: spec.security.readOnlyRoot,
      SecurityOpt: spec.security.noNewPrivileges ? ['no-new-privileges'] : [],
      ...(spec.resources.memory ? { Memory: spec.resources.memory } : {}),
      ...(spec.resources.cpus ? { NanoCpus: Math.round(spec.resources.cpus * 1e9) } : {}),
      // The engine owns restarts (with backoff); podman's policy has none.
      RestartPolicy: { Name: 'no' },
    },
  };
}

function tmpfsOptions(v: { size?: number; mode?: string }): string {
  return [v.size ? `size=${v.size}` : '', v.mode ? `mode=${v.mode}` : ''].filter(Boolean).join(',');
}

/** `/dev/a[:/dev/b][:rwm]` */
function device(text: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host, second, third] = text.split(':') as [string, string | undefined, string | undefined];
  const inContainer = second?.startsWith('/') ? second : host;
  const perms = (second?.startsWith('/') ? third : second) ?? 'rwm';
  return { PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms };
}
