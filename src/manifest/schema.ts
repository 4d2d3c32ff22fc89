// The app manifest (`apps/<id>/manifest.yml`), strict: an unknown key is an error, never ignored.
import { z } from 'zod';
import { FACT_NAMES, placeholdersIn, SECRET_PREFIX } from '../core/facts.js';

const nonEmpty = z.string().min(1, 'must not be empty');
const appId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes');
const envKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const port = z.number().int().min(1).max(65535);

/** A template may only name known host facts, and (where allowed) secrets as `{{secret:NAME}}`. */
const template = (allowSecrets: boolean) =>
  z.string().superRefine((text, ctx) => {
    for (const name of placeholdersIn(text)) {
      if (name.startsWith(SECRET_PREFIX)) {
        if (!allowSecrets) ctx.addIssue({ code: 'custom', message: `secrets are not allowed here ({{${name}}}): use secret_env` });
      } else if (!(FACT_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}}: known facts are ${FACT_NAMES.join(', ')}` });
      }
    }
  });

const secretFileName = z
  .string()
  .min(1)
  .refine((s) => !s.includes('/') && !s.includes('..'), "must be a file name in the secrets dir (no '/' or '..')");

const BuildSchema = z.strictObject({
  context: z.string().default('.').describe('build context, relative to the manifest folder'),
  containerfile: z.string().default('Containerfile'),
  args: z.record(envKey, z.string()).default({}),
});

const VolumeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bind'),
    source: z.string().startsWith('/', 'must be an absolute host path'),
    target: z.string().startsWith('/', 'must be an absolute container path'),
    read_only: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('tmpfs'),
    target: z.string().startsWith('/', 'must be an absolute container path'),
    options: z.string().optional(),
  }),
]);

const PortSchema = z.strictObject({
  host: port,
  container: port,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

const DependencySchema = z.union([
  appId,
  z.strictObject({ app: appId, condition: z.enum(['started', 'healthy']).default('started') }),
]);

const FileSchema = z.strictObject({
  path: z.string().startsWith('/', 'must be an absolute host path'),
  template: z.string().min(1).describe('template file next to the manifest'),
  mode: z.string().regex(/^0[0-7]{3}$/, 'must be an octal mode like "0644"').default('0644'),
});

export const ContainerSchema = z
  .strictObject({
    image: nonEmpty.optional(),
    build: BuildSchema.optional(),
    name: appId.optional().describe('container name; defaults to the app id'),
    network: nonEmpty.default('podledger').describe('bridge network (created when missing), host, or none'),
    entrypoint: z.array(nonEmpty).optional(),
    custom_args: z.array(nonEmpty).default([]),
    ports: z.array(PortSchema).default([]),
    volumes: z.array(VolumeSchema).default([]),
    environment: z.record(envKey, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    derived_env: z.array(z.strictObject({ key: envKey, template: template(false) })).default([]),
    secret_env: z.array(z.strictObject({ key: envKey, secret_file: secretFileName })).default([]),
    restart: z.enum(['always', 'on-failure', 'no']).default('always'),
    stop_timeout: z.number().int().nonnegative().default(10).describe('seconds'),
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
  });

export const ManifestSchema = z.strictObject({
  app: z.strictObject({
    id: appId,
    name: nonEmpty,
    version: nonEmpty,
    description: z.string().optional(),
  }),
  container: ContainerSchema,
  dependencies: z.array(DependencySchema).default([]),
  files: z.array(FileSchema).default([]),
});

export type Manifest = z.output<typeof ManifestSchema>;
export type ManifestInput = z.input<typeof ManifestSchema>;
export type Dependency = { app: string; condition: 'started' | 'healthy' };

export function dependenciesOf(m: Manifest): Dependency[] {
  return m.dependencies.map((d) => (typeof d === 'string' ? { app: d, condition: 'started' } : d));
}

export function containerNameOf(m: Manifest): string {
  return m.container.name ?? m.app.id;
}
