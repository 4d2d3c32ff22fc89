// `podledger compact --keep-boots N | --before TIME`: retention, asked for explicitly, on a stopped node.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { stateHash } from '../core/evolve.js';
import { compactStore } from '../log/compact.js';
import { CompactionRefusedError, DbLockedError } from '../log/errors.js';
import { foldStore } from '../log/fold.js';
import { EventStore } from '../log/store.js';
import { InvalidInputError, UsageError } from './commands.js';
import { NoLogError } from './source.js';

export interface CompactCommandOptions {
  data: string;
  keepBoots?: number;
  /** ms: remove events from before this time (args.ts timeArg read it) */
  before?: number;
  json?: boolean;
}

const warn = (text: string) => void process.stderr.write(`podledger: ${text}\n`);

export async function compact(o: CompactCommandOptions): Promise<void> {
  if (o.keepBoots === undefined && o.before === undefined) throw new UsageError('compact: say what to remove: --keep-boots N (keep the last N daemon runs) and/or --before TIME');
  if (!existsSync(o.data)) throw new NoLogError(o.data);
  const store = await EventStore.open(o.data).catch((err: unknown) => {
    throw err instanceof DbLockedError ? new CompactionRefusedError(o.data, { cause: err }) : err;
  });
  const sizeBefore = await dirSize(o.data);
  let corrupt = 0;
  const onCorrupt = (seq: number, reason: string) => {
    corrupt += 1;
    warn(`event #${seq} cannot be decoded; it is not folded and stays where it is: ${reason}`);
  };
  let result;
  let after;
  try {
    result = await compactStore(store, { ...(o.keepBoots !== undefined ? { keepBoots: o.keepBoots } : {}), ...(o.before !== undefined ? { before: o.before } : {}), onCorrupt, report: warn });
    after = result.compacted ? stateHash(await foldStore(store, onCorrupt)) : undefined;
  } finally {
    await store.close();
  }
  if (!result.compacted) {
    if (o.json) return void process.stdout.write(`${JSON.stringify({ compacted: false, reason: result.why })}\n`);
    return void process.stdout.write(`nothing to compact: ${result.why}\n`);
  }
  const sizeAfter = await dirSize(o.data);
  const { compaction: _c, ...summary } = result;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, stateHashAfter: after, bytesBefore: sizeBefore, bytesAfter: sizeAfter }, null, 2)}\n`);
  } else {
    process.stdout.write([
      `compacted through #${result.through}: removed ${result.removed} events, kept ${result.kept} at or before the cut (the why history of ${result.apps.length} container(s): ${result.apps.join(', ') || 'none'})`,
      `the state they built is the snapshot at #${result.through}; state hash at the end of the log ${result.stateHash} before, ${after} after`,
      `db ${mib(sizeBefore)} → ${mib(sizeAfter)}`,
      '',
    ].join('\n'));
  }
  if (after !== result.stateHash) throw new InvalidInputError(`compact: the state hash at the end of the log changed (${result.stateHash} → ${after}); this is a bug, please report it`);
  if (corrupt > 0) warn(`${corrupt} record(s) could not be decoded; see above`);
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const s = await stat(path.join(dir, name));
    if (s.isFile()) total += s.size;
  }
  return total;
}

const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
