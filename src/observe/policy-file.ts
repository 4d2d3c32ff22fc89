// Reads the node policy file. The default location may be absent (defaults apply); a file named
// explicitly must exist.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsReason } from './fs-reason.js';
import { DEFAULT_POLICY, parsePolicy, PolicyError, type Policy, type PolicyContext } from '../manifest/policy.js';

export const DEFAULT_POLICY_FILE = '/etc/podledger/policy.yml';

export async function readPolicy(file: string, explicit: boolean): Promise<Policy> {
  const fix = explicit
    ? `give --policy (or PODLEDGER_POLICY) the path of a policy YAML file, or leave it out to use ${DEFAULT_POLICY_FILE} when present`
    : `make it a readable policy YAML file, remove it to use the defaults, or give --policy FILE`;
  let text: string;
  try {
    // A FIFO would block the reader for good (a folder fails the read with EISDIR; /dev/null reads as empty).
    const kind = await stat(file);
    if (kind.isFIFO() || kind.isSocket()) throw new PolicyError(file, `is a ${kind.isFIFO() ? 'FIFO' : 'socket'}, not a file; ${fix}`);
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof PolicyError) throw cause;
    if (!explicit && (cause as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_POLICY;
    throw new PolicyError(file, `${fsReason(cause, 'file')}; ${fix}`, { cause });
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
