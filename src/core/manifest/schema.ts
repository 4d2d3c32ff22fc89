// The app manifest (`apps/<id>/manifest.yml`), strict: an unknown key is an error, never ignored.
// Every field is described here once; the JSON Schema and docs/manifest.md are generated from it.
import * as z from 'zod';
import { FACT_NAMES, placeholdersIn, SECRET_PREFIX } from '../facts.js';
import { fieldSchemas, hostPath, networkKind, relativePath } from './fields.js';
import { within } from './paths.js';
import { duration, size } from './units.js';

/** Shared with the fast path (fast-parse.ts, fast-parts.ts), so both accept the same values. */
export const APP_ID = /^[a-z0-9][a-z0-9-]*$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const TMPFS_MODE = /^[0-7]{3,4}$/;
export const FILE_MODE = /^0[0-7]{3}$/;
export const HTTP_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
export const CAPABILITY = /^(CAP_)?[A-Z_]+$/i;
export const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
export const DATA_UID = /^\d+:\d+$/;
export const USER = /^([a-z_][a-z0-9_-]{0,31}|\d{1,10})(:([a-z_][a-z0-9_-]{0,31}|\d{1,10}))?$/i;

/** A template may only name known host facts, and (where allowed) secrets as `{{secret:NAME}}`. */
export const template = (allowSecrets: boolean) =>
  z.string().superRefine((text, ctx) => {
    for (const name of placeholdersIn(text)) {
      if (name.startsWith(SECRET_PREFIX)) {
        const secret = name.slice(SECRET_PREFIX.length);
        if (!allowSecrets) ctx.addIssue({ code: 'custom', message: `secrets are not allowed here ({{${name}}}): use secret_env` });
        else if (!isSecretName(secret)) ctx.addIssue({ code: 'custom', message: `{{${name}}}: a secret is a file name in the secrets dir (no '/' or '..')` });
      } else if (!(FACT_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}}: known facts are ${FACT_NAMES.join(', ')}` });
      }
    }
  });

export const isSecretName = (s: string) => s.length > 0 && !s.includes('/') && !s.includes('..');

/**
 * The schemas, built on first use: building them was 21 M instructions of every offline command's
 * start-up (docs/benchmarks.md, branch startup3), which the fold of a log whose manifests all take
 * the fast path (fast-parse.ts), and every command that reads no manifest, never needs. Built once:
 * the JSON Schema generator tells fields apart by identity.
 */
function build() {
  const basic = basics();
  const { appId, nonEmpty } = basic;
  const { DependencySchema, FileSchema, ...containerParts } = parts(basic);
  const ContainerSchema = container(basic, containerParts);
  const ManifestSchema = z.strictObject({
    app: z.strictObject({
      id: appId.describe('the app id; must equal its folder name'),
      name: nonEmpty.describe('display name'),
      version: nonEmpty.describe("the app's version"),
      description: z.string().optional().describe('one line about the app'),
    }).describe('who the app is'),
    container: ContainerSchema,
    dependencies: z.array(DependencySchema).default([]).describe('apps started (or healthy) before this one'),
    files: z.array(FileSchema).default([]).describe('config files rendered before start; a change restarts the app'),
  }).superRefine((m, ctx) => {
    // A rendered file must reach the app through one of its binds, and must not land elsewhere on the host.
    const sources = m.container.volumes.flatMap((v) => (v.type === 'bind' ? [v.source] : []));
    m.files.forEach((f, i) => {
      if (!sources.some((s) => within(f.path, s))) {
        ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `${f.path} is outside the app's bind sources (${sources.join(', ') || 'none'}): add a bind or move the file` });
      }
    });
  });
  return { ContainerSchema, ManifestSchema };
}

/** The fields and scalars the parts share. */
function basics() {
  const fields = fieldSchemas();
  const { noNul } = fields;
  /** podman and the kernel take strings as C strings: a NUL would cut one short where podman reads it */
  const nonEmpty = z.string().min(1, 'must not be empty').pipe(noNul);
  const appId = z.string().regex(APP_ID, 'must be lower-case letters, digits and dashes');
  const envKey = z.string().regex(ENV_KEY, 'must be a valid environment variable name');
  const port = z.number().int().min(1).max(65535);

  const secretFileName = z.string().min(1).refine(isSecretName, "must be a file name in the secrets dir (no '/' or '..')");

  const capability = z
    .string()
    .regex(CAPABILITY, 'must be a capability name like NET_ADMIN')
    .transform((c) => c.toUpperCase().replace(/^CAP_/, ''));
  return { ...fields, nonEmpty, appId, envKey, port, secretFileName, capability };
}

/** The container's and the manifest's parts. */
function parts({ containerPath, noNul, nonEmpty, appId, envKey, port }: ReturnType<typeof basics>) {
  const BuildSchema = z.strictObject({
    context: relativePath('the app folder', false).default('.')
      .describe('build context folder, relative to the manifest; normalised, inside the app folder'),
    containerfile: relativePath('the build context', true).default('Containerfile')
      .describe('Containerfile path inside the context; normalised, no ..'),
    args: z.record(envKey, noNul).default({}).describe('build arguments (ARG)'),
  });

  const VolumeSchema = z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('bind').describe('a host folder or file'),
      source: hostPath(true).describe('host path, absolute and normalised, without : or ,; must lie under the node data root for this app unless the policy allows'),
      target: containerPath.describe('path inside the container, absolute and normalised, without : or ,'),
      read_only: z.boolean().default(false).describe('mount read-only'),
    }),
    z.strictObject({
      type: z.literal('volume').describe('a named podman volume'),
      source: z.string().regex(VOLUME_NAME, 'must be a volume name').describe('volume name; created when missing'),
      target: containerPath.describe('path inside the container, absolute and normalised, without : or ,'),
      read_only: z.boolean().default(false).describe('mount read-only'),
    }),
    z.strictObject({
      type: z.literal('tmpfs').describe('an in-memory filesystem'),
      target: containerPath.describe('path inside the container, absolute and normalised, without : or ,'),
      size: size('tmpfs size limit').optional(),
      mode: z.string().regex(TMPFS_MODE, 'must be an octal mode like "1777"').optional().describe('permissions of the tmpfs root'),
    }),
  ]);

  const PortSchema = z.strictObject({
    host: port.describe('port on the host'),
    container: port.describe('port inside the container'),
    protocol: z.enum(['tcp', 'udp']).default('tcp').describe('transport protocol'),
    host_ip: z.ipv4().optional().describe('host address to bind; default all addresses'),
  });

  const probeTiming = {
    interval: duration('time between probes').prefault('30s'),
    timeout: duration('time one probe may take').prefault('5s'),
    retries: z.number().int().min(1).default(3).describe('consecutive failures before the app counts as unhealthy'),
    start_period: duration('grace period after start in which failures do not count').prefault('0s'),
  };

  const probedPort = port.describe("container port, probed at the container's address on its network (127.0.0.1 on host); it need not be published");

  const HealthCheckSchema = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('http').describe('HTTP GET; healthy on a 2xx/3xx answer'), port: probedPort, path: z.string().regex(HTTP_PATH, "must be a request path: '/' then URL characters (no spaces, quotes or control characters)").default('/').describe('request path'), ...probeTiming }),
    z.strictObject({ type: z.literal('tcp').describe('healthy when the port accepts a connection'), port: probedPort, ...probeTiming }),
    z.strictObject({ type: z.literal('exec').describe('healthy when the command exits 0 inside the container'), command: z.array(nonEmpty).min(1).describe('command run inside the container; exit 0 is healthy'), ...probeTiming }),
  ]);

  const DependencySchema = z.union([
    appId.describe('an app that must be started first'),
    z.strictObject({
      app: appId.describe('the app depended on'),
      condition: z.enum(['started', 'healthy']).default('started').describe('started, or healthy (its health check passes)'),
      restart: z.boolean().default(false).describe('restart this app whenever the dependency gets a new container (it resolved the old one once, e.g. by name)'),
    }),
  ]);

  const FileSchema = z.strictObject({
    path: hostPath(false).describe('where the rendered file is written, absolute and normalised; must lie under one of the app\'s bind sources'),
    template: relativePath('the app folder', true)
      .describe('template file in the app folder (a regular file, not a link); placeholders {{HOST_IP}}, {{HOST_MDNS}}, {{DISK_GB}}, {{secret:NAME}}'),
    mode: z.string().regex(FILE_MODE, 'must be an octal mode like "0644"').optional()
      .describe('file permissions of the rendered file; default "0600" when the template holds a {{secret:...}}, else "0644"'),
  });
  return { BuildSchema, VolumeSchema, PortSchema, HealthCheckSchema, DependencySchema, FileSchema };
}

function container(
  { deviceField, imageReference, networkField, noNul, nonEmpty, appId, envKey, secretFileName, capability }: ReturnType<typeof basics>,
  { BuildSchema, VolumeSchema, PortSchema, HealthCheckSchema }: Omit<ReturnType<typeof parts>, 'DependencySchema' | 'FileSchema'>,
) {
  const ContainerSchema = z
    .strictObject({
      image: imageReference.optional().describe('image reference, [registry/]name[:tag][@sha256:digest]; exactly one of image or build'),
      build: BuildSchema.optional().describe('build the image locally; exactly one of image or build'),
      pull_policy: z.enum(['missing', 'always', 'never']).default('missing').describe('when to pull `image`'),
      name: appId.optional().describe('container name; defaults to the app id'),
      network: networkField.default('podledger')
        .describe('bridge network name (created when missing), host, or none; container:NAME or ns:/PATH where the node policy allows join-namespace'),
      hostname: z.string().regex(HOSTNAME, 'must be a valid host name').optional().describe('host name inside the container'),
      entrypoint: z.array(nonEmpty).optional().describe("replaces the image's ENTRYPOINT"),
      command: z.array(nonEmpty).optional().describe("replaces the image's CMD"),
      custom_args: z.array(nonEmpty).default([]).describe('appended to the command (the image CMD when `command` is not set)'),
      ports: z.array(PortSchema).default([]).describe('published ports'),
      volumes: z.array(VolumeSchema).default([]).describe('bind mounts, named volumes and tmpfs'),
      environment: z.record(envKey, z.union([z.string(), z.number(), z.boolean()]).transform(String).pipe(noNul)).default({}).describe('plain environment values'),
      derived_env: z.array(z.strictObject({ key: envKey.describe('variable name'), template: template(false).describe('text with {{HOST_IP}}, {{HOST_MDNS}}, {{DISK_GB}}') })).default([])
        .describe('environment values rendered from host facts on every apply'),
      secret_env: z.array(z.strictObject({ key: envKey.describe('variable name'), secret_file: secretFileName.describe('file name in the secrets dir') })).default([])
        .describe('environment values read from files in the secrets dir; only their keyed hash is ever logged'),
      data_uid: z.string().regex(DATA_UID, 'must be "UID:GID"').optional().describe('owner applied (chown -R) to bind sources before create'),
      user: z.string().regex(USER, 'must be a user name or UID, optionally :group').optional().describe('user (and group) the container runs as'),
      devices: z.array(deviceField).default([]).describe('host devices passed in, /dev/HOST[:/dev/CONTAINER][:rwm] (needs policy)'),
      health_check: HealthCheckSchema.optional().describe('how the engine tells the app is healthy; gates `condition: healthy` dependents and rollbacks'),
      restart: z.enum(['always', 'on-failure', 'no']).default('always').describe('whether the engine starts the container again after it exits'),
      stop_timeout: duration('time given to stop before SIGKILL').prefault('10s'),
      resources: z.strictObject({
        memory: size('memory limit').optional(),
        cpus: z.number().positive().optional().describe('CPU limit, in cores'),
      }).default({}).describe('limits'),
      security: z.strictObject({
        cap_add: z.array(capability).default([]).describe('capabilities to add (needs policy)'),
        cap_drop: z.array(z.union([z.literal('ALL'), capability])).default([]).describe('capabilities to drop, or ALL'),
        read_only_root: z.boolean().default(false).describe('mount the root filesystem read-only'),
        no_new_privileges: z.boolean().default(false).describe('forbid gaining privileges (setuid) inside'),
      }).default({ cap_add: [], cap_drop: [], read_only_root: false, no_new_privileges: false }).describe('capabilities and hardening'),
    })
    .superRefine((c, ctx) => {
      if ((c.image === undefined) === (c.build === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['image'], message: 'exactly one of image or build is required' });
      }
      const seen = new Map<string, string>();
      const claim = (key: string, where: (string | number)[], field: string) => {
        const first = seen.get(key);
        if (first) ctx.addIssue({ code: 'custom', path: where, message: `duplicate env key ${key} (also in ${first})` });
        else seen.set(key, field);
      };
      Object.keys(c.environment).forEach((k) => claim(k, ['environment', k], 'environment'));
      c.derived_env.forEach((d, i) => claim(d.key, ['derived_env', i, 'key'], 'derived_env'));
      c.secret_env.forEach((s, i) => claim(s.key, ['secret_env', i, 'key'], 'secret_env'));
      // The engine probes http and tcp checks at the container's own address on its network (no port
      // need be published): a container without one cannot be reached, only looked into (exec).
      const hc = c.health_check;
      const kind = networkKind(c.network);
      if (hc && hc.type !== 'exec' && (kind === 'none' || kind === 'ns')) {
        const why = kind === 'none' ? 'has no network' : 'joins a network namespace whose address the engine cannot know';
        ctx.addIssue({ code: 'custom', path: ['health_check', 'type'], message: `${hc.type === 'http' ? 'an' : 'a'} ${hc.type} check cannot reach this container: network: ${c.network} ${why}; use type: exec with a command that checks port ${hc.port} inside, or put the container on a bridge network or host` });
      }
    })
    .describe('the container the app runs as');
  return ContainerSchema;
}

let built: ReturnType<typeof build> | undefined;
/** The manifest schema (zod), built on first use. */
export const manifestSchema = () => (built ??= build()).ManifestSchema;
/** Its `container` part, the same object the manifest schema holds. */
export const containerSchema = () => (built ??= build()).ContainerSchema;

type ManifestSchema = ReturnType<typeof build>['ManifestSchema'];
export type Manifest = z.output<ManifestSchema>;
export type ManifestInput = z.input<ManifestSchema>;
export type Dependency = { app: string; condition: 'started' | 'healthy'; restart: boolean };

export function dependenciesOf(m: Manifest): Dependency[] {
  return m.dependencies.map((d) => (typeof d === 'string' ? { app: d, condition: 'started', restart: false } : d));
}

export function containerNameOf(m: Manifest): string {
  return m.container.name ?? m.app.id;
}
