// The node's safety policy: a manifest from an app store is not fully trusted. What could take over
// the node (host network, joining another namespace, added capabilities, devices, binds outside the
// app's data, binds of system paths, the podman socket or the secrets) is rejected unless the node's
// policy file allows it for that app; a build context may link only to the host files it lists.
// Pure: the caller reads the policy file.
import { PodledgerError } from '../core/errors.js';
import path from 'node:path/posix';
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import type { ManifestError } from '../core/events.js';
import { absolutePathProblem, networkKind } from '../core/manifest/fields.js';
import { formatPath, locator, positionIn, type Locate, type PathSegment } from './parse.js';
import { within } from '../core/manifest/paths.js';
import type { Manifest } from '../core/manifest/schema.js';

export const POLICY_RULES = ['host-network', 'join-namespace', 'cap-add', 'devices', 'bind-outside-data-root', 'sensitive-bind'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/**
 * The policy file's schema, built on first use: building it (and parsing the defaults with it) was
 * ~3 ms of every validate and daemon start, most of which read no policy file (docs/benchmarks.md, mparse).
 */
function buildSchema() {
  return z.strictObject({
    data_root: z.string().startsWith('/', 'must be an absolute path').default('/var/lib/archipelago')
      .describe("each app's bind sources must lie under <data_root>/<app id>"),
    allow: z.record(z.string(), z.array(z.enum(POLICY_RULES))).default({}).describe('app id → rules it is exempt from'),
    build_host_files: z.array(z.string().superRefine((p, ctx) => {
      const problem = absolutePathProblem(p, 'host path', false);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })).default([]).describe('host files a build context may link to (a symlink in an app folder leading outside it); none by default'),
  });
}
let schema: ReturnType<typeof buildSchema> | undefined;
export const policySchema = () => (schema ??= buildSchema());
export type Policy = z.output<ReturnType<typeof buildSchema>>;

/** `policySchema().parse({})`, written out (test/unit/manifest/rules.test.ts holds them equal). */
export const DEFAULT_POLICY: Policy = { data_root: '/var/lib/archipelago', allow: {}, build_host_files: [] };

/** What the policy is checked against, besides the manifest: paths that must never be bound. */
export interface PolicyContext {
  policy: Policy;
  /** where the policy came from, for the "how to allow" hint */
  policyFile: string;
  /** false when no file was there (the default location, absent: the defaults apply) */
  policyFileExists?: boolean;
  secretsDir?: string;
  podmanSocket?: string;
}

/** The keys a policy file may have (the schema's, held equal by test/unit/manifest/rules.test.ts). */
export const POLICY_KEYS: readonly string[] = ['data_root', 'allow', 'build_host_files'];

export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const bad = doc.errors[0];
  if (bad) {
    // One line, at the first error; counted from the text itself, as for manifests (parse.ts).
    const at = positionIn(text, bad.pos[0]);
    throw new PolicyError(file, `not valid YAML: ${bad.message.split('\n')[0] ?? bad.message}; correct line ${at.line} of the file`, { at, cause: bad });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new PolicyError(file, `not valid YAML: ${(cause as Error).message}`, { cause });
  }
  const parsed = policySchema().safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const others = issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    // A misspelt key would otherwise be ignored silently: name it, where it is, and what may be there.
    const unknown = issues.flatMap((i) => (i.code === 'unrecognized_keys'
      ? i.keys.map((key) => [...i.path.filter((p): p is PathSegment => typeof p !== 'symbol'), key]) : []));
    const first = unknown[0];
    if (!first) throw new PolicyError(file, others.join('; '), { cause: parsed.error });
    const locate = locator(doc, lines);
    const more = [...unknown.slice(1).map((p) => `unknown key '${formatPath(p)}' (line ${locate(p, 'key').line})`), ...others];
    throw new PolicyError(file, `unknown key '${formatPath(first)}': a policy may have only the keys ${POLICY_KEYS.join(', ')}; remove it or check its spelling`
      + (more.length > 0 ? `; also ${more.join('; ')}` : ''), { at: locate(first, 'key'), cause: parsed.error });
  }
  return parsed.data;
}

/** A policy file that cannot be used; `at` is the position in it, when the problem has one. */
export class PolicyError extends PodledgerError {
  readonly exit = 'invalid';
  readonly at: { line: number; col: number } | undefined;
  constructor(readonly file: string, reason: string, options?: { cause?: unknown; at?: { line: number; col: number } }) {
    super(`cannot use node policy: ${file}${options?.at ? `:${options.at.line}:${options.at.col}` : ''}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyError';
    this.at = options?.at;
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
      message: `${what}: not allowed by the node policy (rule ${rule}); to allow it, add ${rule} under allow.${id} in ${ctx.policyFile}`
        + (ctx.policyFileExists === false ? ' (there is none yet: create it, or give --policy FILE)' : ''),
    });
  };
  const c = m.container;
  const network = networkKind(c.network);
  if (network === 'host') deny('host-network', ['container', 'network'], 'network host shares the node\'s network stack');
  if (network === 'container') deny('join-namespace', ['container', 'network'], `network ${c.network} joins the network namespace of another container`);
  if (network === 'ns') deny('join-namespace', ['container', 'network'], `network ${c.network} joins an existing network namespace`);
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
