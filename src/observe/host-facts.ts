// Host facts from the OS (primary IPv4, mDNS name, disk size), overridden by an optional JSON file.
import { PodledgerError } from '../core/errors.js';
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { FACT_NAMES, isFactName, type HostFacts } from '../core/facts.js';
import { readNamedFile } from './fs-reason.js';
import { watchPaths, type Watching } from './watching.js';

export type { Watching } from './watching.js';

export class HostFactsFileError extends PodledgerError {
  readonly exit = 'invalid';
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot use host facts file: ${file}: ${reason}`, options);
    this.name = 'HostFactsFileError';
  }
}

/** The interface of the default route, from the kernel's routing table. */
async function defaultRouteInterface(): Promise<string | undefined> {
  try {
    const table = await readFile('/proc/net/route', 'utf8');
    const row = table.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((cols) => cols[1] === '00000000');
    return row?.[0];
  } catch {
    return undefined;
  }
}

export async function osFacts(dataDir: string): Promise<HostFacts> {
  const facts: HostFacts = { HOST_MDNS: `${os.hostname()}.local` };
  const iface = await defaultRouteInterface();
  const addrs = iface ? os.networkInterfaces()[iface] : undefined;
  const ipv4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
  if (ipv4) facts.HOST_IP = ipv4.address;
  try {
    const s = await statfs(dataDir);
    facts.DISK_GB = Math.round((s.blocks * s.bsize) / 1e9);
  } catch {
    // data dir not there yet: no disk fact, apps that need it wait
  }
  return facts;
}

export async function readFactsFile(file: string): Promise<HostFacts> {
  const fix = `give --host-facts the path of a JSON object of facts (${FACT_NAMES.join(', ')}), or leave --host-facts out to use the OS's facts only`;
  const text = await readNamedFile(file, (reason, cause) => new HostFactsFileError(file, `${reason}; ${fix}`, cause === undefined ? undefined : { cause }));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new HostFactsFileError(file, `not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HostFactsFileError(file, 'must be a JSON object keyed by fact name');
  const facts: HostFacts = {};
  for (const [k, v] of Object.entries(value)) {
    if (!isFactName(k)) throw new HostFactsFileError(file, `unknown fact '${k}': known facts are ${FACT_NAMES.join(', ')}`);
    if (typeof v !== 'string' && typeof v !== 'number') throw new HostFactsFileError(file, `fact '${k}' must be a string or number`);
    facts[k] = v;
  }
  return facts;
}

/** OS facts with the file's values on top. A bad file throws; the caller keeps the last good facts. */
export async function readHostFacts(dataDir: string, overrideFile?: string): Promise<HostFacts> {
  const base = await osFacts(dataDir);
  return overrideFile ? { ...base, ...(await readFactsFile(overrideFile)) } : base;
}

export function watchFile(file: string, onChange: () => void): Watching {
  return watchPaths(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } }, onChange);
}
