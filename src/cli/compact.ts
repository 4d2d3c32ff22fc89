// `podledger compact --keep-boots N | --before TIME`: retention, asked for explicitly, on a stopped node.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { stateHash } from '../core/evolve.js';
import { compactStore, previewCompaction, type CompactPreview } from '../log/compact.js';
import { CompactionRefusedError, DbLockedError } from '../log/errors.js';
import { foldStore } from '../log/fold.js';
import { EventStore } from '../log/store.js';
import { InvalidInputError, UsageError } from './commands.js';
import { ranges } from './points.js';
import { NoLogError } from './source.js';

export interface CompactCommandOptions {
  data: string;
  keepBoots?: number;
  /** ms: remove events from before this time (args.ts timeArg read it) */
  before?: number;
  /** say what would be removed, change nothing */
  dryRun?: boolean;
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
  if (o.dryRun) {
    try {
      return preview(o, await previewCompaction(store, { ...cutOf(o), onCorrupt, report: warn }), sizeBefore);
    } finally {
      await store.close();
    }
  }
  let result;
  let after;
  try {
    result = await compactStore(store, { ...cutOf(o), onCorrupt, report: warn });
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

const cutOf = (o: CompactCommandOptions) => ({ ...(o.keepBoots !== undefined ? { keepBoots: o.keepBoots } : {}), ...(o.before !== undefined ? { before: o.before } : {}) });

/** `compact --dry-run`: what a compaction with these options would remove; the db is as it was. */
function preview(o: CompactCommandOptions, p: CompactPreview, bytes: number): void {
  if ('compacted' in p) {
    if (o.json) return void process.stdout.write(`${JSON.stringify({ dryRun: true, compacted: false, reason: p.why })}\n`);
    return void process.stdout.write(`dry run: nothing to compact: ${p.why}\n`);
  }
  if (o.json) return void process.stdout.write(`${JSON.stringify({ dryRun: true, ...p, bytesBefore: bytes }, null, 2)}\n`);
  const boots = p.boots.length === 0 ? 'no boot whole' : `boot(s) ${ranges(p.boots)} whole`;
  process.stdout.write([
    `dry run: would compact through #${p.through}: remove ${p.removed} events (${boots}), keep ${p.kept} at or before the cut (the why history of ${p.apps.length} container(s): ${p.apps.join(', ') || 'none'})`,
    `db now ${mib(bytes)}; nothing was changed (run without --dry-run to compact)`,
    '',
  ].join('\n'));
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
