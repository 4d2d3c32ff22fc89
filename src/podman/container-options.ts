// Spec → the Docker-compatible create request podman takes. Pure, so the mapping is unit-tested.
// Mounts and devices go as structured fields, never as `src:dst:opts` strings built from manifest text.
import type Docker from 'dockerode';
import { HASH_VERSION, LABELS } from '../core/spec.js';
import { parseDevice } from '../core/manifest/fields.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import { portKey } from './formats.js';

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
    spec.ports.map((p) => [portKey(p), [{ HostPort: String(p.host), ...(p.hostIp ? { HostIp: p.hostIp } : {}) }]]),
  );
  const cmd = spec.command ?? (spec.cmd.length > 0 ? imageCmd : undefined);
  const hc = spec.healthCheck;
  const tmpfsByOptions = spec.volumes.flatMap((v) => (v.type === 'tmpfs' && modeWithoutSize(v) ? [v] : []));
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
          // quoted: the manifest's path may hold & ; $ ( ), which a shell would act on (it may not hold ')
          : hc.type === 'http' ? ['CMD-SHELL', `wget -q -O /dev/null '${probeUrl(hc)}' || curl -fsS -o /dev/null '${probeUrl(hc)}'`]
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
      Mounts: spec.volumes.flatMap((v) => (v.type === 'tmpfs' && modeWithoutSize(v) ? [] : [mountOf(v)])) as unknown as Docker.MountSettings[],
      ...(tmpfsByOptions.length > 0 ? { Tmpfs: Object.fromEntries(tmpfsByOptions.map((v) => [v.target, `mode=${v.mode}`])) } : {}),
      Devices: spec.devices.map(parseDevice).map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.permissions })),
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

const probeUrl = (hc: { port?: number; path?: string }) => `http://127.0.0.1:${hc.port}${hc.path ?? '/'}`;

/**
 * podman 4.3 turns a tmpfs mount's TmpfsOptions without SizeBytes into `size=0`, an unlimited tmpfs,
 * where `--tmpfs` without a size leaves the kernel's default (half the RAM). Such a tmpfs goes in
 * HostConfig.Tmpfs, its options built from the checked mode alone (`mode=1777`).
 */
const modeWithoutSize = (v: { size?: number; mode?: string }) => v.mode !== undefined && v.size === undefined;

/** A mount as the compat API takes it (dockerode's type wants a Source and both tmpfs options). */
export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/**
 * Paths, names, sizes and modes were checked by the schema (absolute, normalised, no `:` or `,`: podman
 * 4.3 still joins these fields into an option string, and refuses a `,` in a Source).
 */
function mountOf(v: ContainerSpec['volumes'][number]): Mount {
  if (v.type !== 'tmpfs') return { Type: v.type, Source: v.source, Target: v.target, ReadOnly: v.read_only };
  const options = { ...(v.size !== undefined ? { SizeBytes: v.size } : {}), ...(v.mode !== undefined ? { Mode: parseInt(v.mode, 8) } : {}) };
  return { Type: 'tmpfs', Target: v.target, ...(Object.keys(options).length > 0 ? { TmpfsOptions: options } : {}) };
}
