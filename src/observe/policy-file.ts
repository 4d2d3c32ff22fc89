// Finds and reads the node policy. The policy is trusted: it is the node admin's, and it grants what the
// app store's manifests may not take by themselves. So it is looked for only where the admin puts files:
//   1. the file named by --policy (or PODLEDGER_POLICY), which must exist;
//   2. /etc/podledger/policy.yml, the node's;
//   3. policy.yml in the folder that holds the apps folder: /etc/podledger/apps gives (2) again, and a
//      checkout (apps/ beside policy.yml) or the demo (examples/demo) carries its catalog's policy there.
// The third is a file found rather than named, so, as sshd's StrictModes does, it is taken only when
// neither it nor its folder can be written by anyone but its owner, root or this user; it can never
// override (2), an admin's own node policy. With none of them, the built-in defaults apply.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { readNamedFile } from './fs-reason.js';
import { DEFAULT_POLICY, parsePolicy, PolicyError, type Policy, type PolicyContext } from '../manifest/policy.js';

export const DEFAULT_POLICY_FILE = '/etc/podledger/policy.yml';
const BESIDE_APPS = 'policy.yml';

export interface PolicyOptions {
  /** an explicit policy file; otherwise the first of the defaults that exists */
  policyFile?: string;
  /** the apps folder: its parent may hold the catalog's policy.yml */
  appsDir?: string;
  secretsDir?: string;
  podmanSocket?: string;
}

/** Where the policy is looked for, in order (an explicit file alone). The daemon watches all of them. */
export function policyCandidates(o: Pick<PolicyOptions, 'policyFile' | 'appsDir'>): string[] {
  if (o.policyFile !== undefined) return [o.policyFile];
  const beside = o.appsDir === undefined ? [] : [path.join(path.dirname(path.resolve(o.appsDir)), BESIDE_APPS)];
  return [DEFAULT_POLICY_FILE, ...beside.filter((f) => f !== DEFAULT_POLICY_FILE)];
}

/** The policy context manifests are checked against, read afresh (the file may have changed). */
export async function policyContext(o: PolicyOptions): Promise<PolicyContext> {
  const extra = {
    ...(o.secretsDir ? { secretsDir: path.resolve(o.secretsDir) } : {}),
    ...(o.podmanSocket ? { podmanSocket: path.resolve(o.podmanSocket) } : {}),
  };
  const [first, ...found] = policyCandidates(o);
  if (o.policyFile !== undefined) return { policy: await readPolicy(first!, 'explicit'), policyFile: first!, ...extra };
  for (const file of [first!, ...found]) {
    if (!(await exists(file))) continue;
    if (file !== DEFAULT_POLICY_FILE) await checkOwnership(file);
    return { policy: await readPolicy(file, 'found'), policyFile: file, ...extra };
  }
  return { policy: DEFAULT_POLICY, policyFile: DEFAULT_POLICY_FILE, policyFileExists: false, ...extra };
}

async function readPolicy(file: string, how: 'explicit' | 'found'): Promise<Policy> {
  const fix = how === 'explicit'
    ? `give --policy (or PODLEDGER_POLICY) the path of a policy YAML file, or leave it out to use ${DEFAULT_POLICY_FILE} (or policy.yml beside the apps folder) when present`
    : 'make it a readable policy YAML file, remove it to use the defaults, or give --policy FILE';
  const text = await readNamedFile(file, (reason, cause) => new PolicyError(file, `${reason}; ${fix}`, cause === undefined ? undefined : { cause }));
  return parsePolicy(text, file);
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PolicyError(file, `cannot look at it: ${(err as Error).message}; fix its permissions or give --policy FILE`, { cause: err });
  }
}

/** A found policy someone else could have written grants nothing: refuse it, saying how to trust it. */
async function checkOwnership(file: string): Promise<void> {
  const me = process.geteuid?.() ?? 0;
  for (const [what, p] of [['it', file], ['its folder', path.dirname(file)]] as const) {
    const s = await lstat(p);
    const owner = s.uid === 0 || s.uid === me;
    // a sticky folder (/tmp) lets others add files but not replace ours: the owner check covers that
    const sharedWrite = (s.mode & 0o022) !== 0 && !(s.isDirectory() && (s.mode & 0o1000) !== 0);
    if (!owner || sharedWrite || (what === 'it' && !s.isFile())) {
      const why = !owner ? `${what} belongs to uid ${s.uid}` : sharedWrite ? `${what} can be written by group or others` : 'it is not a regular file';
      throw new PolicyError(file, `found beside the apps folder but not trusted: ${why}; fix: make it (and its folder) owned by root or you and writable only by the owner (chmod go-w), or give --policy FILE`);
    }
  }
}
