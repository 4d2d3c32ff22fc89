// Reads the node policy file. The default location may be absent (defaults apply); a file named
// explicitly must exist.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_POLICY, parsePolicy, PolicyError, type Policy, type PolicyContext } from '../manifest/policy.js';

export const DEFAULT_POLICY_FILE = '/etc/podledger/policy.yml';

export async function readPolicy(file: string, explicit: boolean): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (!explicit && (cause as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_POLICY;
    throw new PolicyError(file, (cause as NodeJS.ErrnoException).code ?? String(cause), { cause });
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
  return {
    policy: await readPolicy(file, o.policyFile !== undefined),
    policyFile: file,
    ...(o.secretsDir ? { secretsDir: path.resolve(o.secretsDir) } : {}),
    ...(o.podmanSocket ? { podmanSocket: path.resolve(o.podmanSocket) } : {}),
  };
}
