// The node's safety policy: a manifest from an app store is not fully trusted. What could take over
// the node (host network, added capabilities, devices, binds outside the app's data, binds of
// system paths, the podman socket or the secrets) is rejected unless the node's policy file allows it
// for that app. Pure: the caller reads the policy file.
import path from 'node:path/posix';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ManifestError } from '../core/events.js';
import { formatPath, type Locate, type PathSegment } from './parse.js';
import { within } from './paths.js';
import type { Manifest } from './schema.js';

export const POLICY_RULES = ['host-network', 'cap-add', 'devices', 'bind-outside-data-root', 'sensitive-bind'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

export const PolicySchema = z.strictObject({
  data_root: z.string().startsWith('/', 'must be an absolute path').default('/var/lib/archipelago')
    .describe("each app's bind sources must lie under <data_root>/<app id>"),
  allow: z.record(z.string(), z.array(z.enum(POLICY_RULES))).default({}).describe('app id → rules it is exempt from'),
});
export type Policy = z.output<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

/** What the policy is checked against, besides the manifest: paths that must never be bound. */
export interface PolicyContext {
  policy: Policy;
  /** where the policy came from, for the "how to allow" hint */
  policyFile: string;
  secretsDir?: string;
  podmanSocket?: string;
}

export function parsePolicy(text: string, file: string): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new PolicyError(file, `not valid YAML: ${(cause as Error).message}`, { cause });
  }
  const parsed = PolicySchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new PolicyError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

export class PolicyError extends Error {
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot use node policy: ${file}: ${reason}`, options);
    this.name = 'PolicyError';
  }
}

const SYSTEM_PATHS = ['/etc', '/var/run/podman', '/run/podman', '/proc', '/sys', '/dev', '/boot', '/root'];

export function policyErrors(id: string, file: string, m: Manifest, locate: Locate, ctx: PolicyContext): ManifestError[] {
  const allowed = new Set(ctx.policy.allow[id] ?? []);
  const errors: ManifestError[] = [];
  const deny = (rule: PolicyRule, at: PathSegment[], what: string) => {
    if (allowed.has(rule)) return;
    errors.push({
      file, ...locate(at), path: formatPath(at),
      message: `${what}: not allowed by the node policy (rule ${rule}); to allow it, add ${rule} under allow.${id} in ${ctx.policyFile}`,
    });
  };
  const c = m.container;
  if (c.network === 'host') deny('host-network', ['container', 'network'], 'network host shares the node\'s network stack');
  c.security.cap_add.forEach((cap, i) => deny('cap-add', ['container', 'security', 'cap_add', i], `adding capability ${cap}`));
  c.devices.forEach((d, i) => deny('devices', ['container', 'devices', i], `device ${d}`));

  const sensitive = [...SYSTEM_PATHS, ctx.podmanSocket, ctx.secretsDir].filter((p): p is string => Boolean(p)).map((p) => path.normalize(p));
  const appRoot = path.join(ctx.policy.data_root, id);
  c.volumes.forEach((v, i) => {
    if (v.type !== 'bind') return;
    const source = path.normalize(v.source);
    const hit = source === '/' ? '/' : sensitive.find((p) => within(source, p) || within(p, source));
    if (hit) deny('sensitive-bind', ['container', 'volumes', i, 'source'], `bind source ${source} ${hit === source ? 'is a protected path' : `exposes the protected path ${hit}`}`);
    else if (!within(source, appRoot)) deny('bind-outside-data-root', ['container', 'volumes', i, 'source'], `bind source ${source} is outside ${appRoot}`);
  });
  return errors;
}
