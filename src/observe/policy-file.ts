// Reads the node policy file. The default location may be absent (defaults apply); a file named
// explicitly must exist.
import path from 'node:path';
import { readNamedFile } from './fs-reason.js';
import { DEFAULT_POLICY, parsePolicy, PolicyError, type Policy, type PolicyContext } from '../manifest/policy.js';

export const DEFAULT_POLICY_FILE = '/etc/podledger/policy.yml';

async function readPolicy(file: string, explicit: boolean): Promise<Policy | undefined> {
  const fix = explicit
    ? `give --policy (or PODLEDGER_POLICY) the path of a policy YAML file, or leave it out to use ${DEFAULT_POLICY_FILE} when present`
    : `make it a readable policy YAML file, remove it to use the defaults, or give --policy FILE`;
  let text: string;
  try {
    text = await readNamedFile(file, (reason, cause) => new PolicyError(file, `${reason}; ${fix}`, cause === undefined ? undefined : { cause }));
  } catch (err) {
    if (!explicit && ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
  return parsePolicy(text, file);
}

export interface PolicyOptions {
  /** an explicit policy file; otherwise the default location, if present */
  policyFile?: string;
  secretsDir?: string;
  podmanSocket?: string;
}

/** The policy context manifests are checked against, read afresh (the file may have changed). */
export async function policyContext(o: PolicyOptions): Promise<PolicyContext> {
  const file = o.policyFile ?? DEFAULT_POLICY_FILE;
  const read = await readPolicy(file, o.policyFile !== undefined);
  return {
    policy: read ?? DEFAULT_POLICY,
    policyFile: file,
    ...(read ? {} : { policyFileExists: false }),
    ...(o.secretsDir ? { secretsDir: path.resolve(o.secretsDir) } : {}),
    ...(o.podmanSocket ? { podmanSocket: path.resolve(o.podmanSocket) } : {}),
  };
}
