// Event log throughput against raw LevelDB doing the same I/O, measured in the same run on the same disk.
// (a) durable appends: 64, 256 and 1000 producers each awaiting append(1 draft) — the daemon's real
//     pattern — which group commit turns into few fsynced batches; baselines: raw synced batches of the
//     shape group commit reached (same records and index puts), and batch(1000 puts, {sync: true});
//     p50/p99 append latency; the disk's own limit, a write + fdatasync loop, and events per fsync.
// (b) reads: store.read() (parse + zod decode per record) vs raw iterator + JSON.parse of the same values.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import type { Draft } from '../core/events.js';
import { EventStore } from '../log/store.js';
import type { BenchRow } from './types.js';

export type { BenchRow } from './types.js';

const N = 100_000;
/** producer counts the append rows run at; the first also writes the store the read rows read */
const PRODUCERS = [64, 256, 1000] as const;
const RAW_BATCH = 1000;
const SEQUENTIAL_N = 2_000; // per-event fsync is slow: a small sample is enough
const HWM = { highWaterMarkBytes: 4 << 20 };
const READ_PASSES = 5;

const draft = (i: number): Draft => ({
  type: 'ContainerExited', source: 'podman', app: `app-${i % 30}`,
  data: { id: `c${String(i).padStart(12, '0')}`, name: `app-${i % 30}`, exitCode: i % 3 },
});

const perSec = (n: number, ms: number): number => Math.round((n / ms) * 1000);

function row(name: string, value: number, unit: string, baseline?: { name: string; value: number }): BenchRow {
  return baseline ? { name, value, unit, baseline, ratio: Number((value / baseline.value).toFixed(3)) } : { name, value, unit };
}

/** Append `total` drafts from `producers` loops, each awaiting its own append(1 draft): the time, and each append's latency. */
async function produce(store: EventStore, total: number, producers: number): Promise<{ ms: number; latencies: Float64Array }> {
  let next = 0;
  const latencies = new Float64Array(total);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: producers }, async () => {
    for (let i = next++; i < total; i = next++) {
      const start = performance.now();
      await store.append([draft(i)]);
      latencies[i] = performance.now() - start;
    }
  }));
  return { ms: performance.now() - t0, latencies };
}

/** The q-quantile of latencies, in ms. */
const quantile = (latencies: Float64Array, q: number): number => {
  const sorted = Float64Array.from(latencies).sort();
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2));
};

/**
 * The disk's own limit for durable appends: write(4 KiB) + fdatasync in a loop, as many as fit in about
 * a second. Group commit can do no better than this many batches a second.
 */
function fdatasyncsPerSecond(file: string): number {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      writeSync(fd, block, 0, block.length, (n % 16) * block.length);
      fdatasyncSync(fd);
      n += 1;
    }
    return perSec(n, performance.now() - t0);
  } finally {
    closeSync(fd);
  }
}

export async function benchLog(): Promise<BenchRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'podledger-bench-'));
  try {
    const rows: BenchRow[] = [];
    const fsyncs = fdatasyncsPerSecond(join(root, 'fsync-probe'));
    rows.push(row('disk: write(4 KiB) + fdatasync loop (the physical limit of batches/s)', fsyncs, 'fsyncs/s'));

    // (a) durable appends through the store, group commit, at several producer counts; each against
    // raw synced batches of the shape group commit reached (same records, same index puts)
    const storeDir = join(root, `store-${PRODUCERS[0]}`);
    let rawWrite: { name: string; value: number } | undefined;
    for (const producers of PRODUCERS) {
      const dir = join(root, `store-${producers}`);
      const store = await EventStore.open(dir);
      let batches = 0;
      store.on('appended', () => (batches += 1));
      const { ms: appendMs, latencies } = await produce(store, N, producers);
      await store.close();

      // The exact bytes the store wrote, for the raw baselines: same keys, same values.
      const stored = new Level<string, string>(dir);
      const entries = await stored.iterator({ ...HWM, gte: '!log!', lt: '!log"' }).all();
      await stored.close();
      const perBatch = Math.max(1, Math.round(N / batches));
      const rawSame = await rawSameShape(join(root, `raw-same-${producers}`), entries, perBatch);
      const name = `append: ${producers} producers × append(1 draft), group commit, ${N} events`;
      if (!rawWrite) {
        rawWrite = await rawBatches(join(root, 'raw'), entries);
        rows.push(row(name, perSec(N, appendMs), 'events/s', rawWrite));
        rows.push(row('append: mean envelope size', Math.round(entries.reduce((n, [, v]) => n + v.length, 0) / entries.length), 'bytes'));
      }
      rows.push(row(name, perSec(N, appendMs), 'events/s', rawSame));
      rows.push(row(`append: ${producers} producers: events per fsynced batch (mean; limit ${fsyncs} fsyncs/s × this = ${fsyncs * perBatch} events/s)`, perBatch, 'events'));
      rows.push(row(`append: ${producers} producers: append latency p50 / p99 (p50 ${quantile(latencies, 0.5)} ms)`, quantile(latencies, 0.99), 'ms p99'));
    }
    const raw = new Level<string, string>(join(root, 'raw'));

    // Why group commit: one producer, one fsync per append
    const seqStore = await EventStore.open(join(root, 'sequential'));
    const seqMs = await produce(seqStore, SEQUENTIAL_N, 1);
    await seqStore.close();
    rows.push(row(`append: 1 producer × append(1 draft), ${SEQUENTIAL_N} events`, perSec(SEQUENTIAL_N, seqMs.ms), 'events/s', rawWrite!));

    // (b) reads: the store (JSON.parse + decodeEvent) vs raw iterator + JSON.parse of the same values;
    // by app, best of READ_PASSES alternating with the raw reads, against the raw range read of the
    // app's ix-app entries (the copies it decodes: the physical limit of that read)
    const reader = await EventStore.open(storeDir);
    let t = performance.now();
    let ok = 0;
    for await (const item of reader.read()) if (item.ok) ok += 1;
    const readMs = performance.now() - t;
    let appMs = Infinity;
    let appRawMs = Infinity;
    let appCount = 0;
    for (let pass = 0; pass < READ_PASSES; pass++) {
      t = performance.now();
      appCount = 0;
      for await (const batch of reader.readBatches({ app: 'app-7' })) for (const item of batch) if (item.ok) appCount += 1;
      appMs = Math.min(appMs, performance.now() - t);
      appRawMs = Math.min(appRawMs, await rawRange((reader as unknown as { db: Level<string, string> }).db, '!ix-app!app-7!', appCount));
    }
    await reader.close();
    if (ok !== N) throw new Error(`bench: read ${ok} good events, expected ${N}`);

    const rawRead = async (valueEncoding: 'utf8' | 'json'): Promise<number> => {
      const it = raw.iterator({ ...HWM, valueEncoding });
      let n = 0;
      const start = performance.now();
      try {
        for (let batch = await it.nextv(1000); batch.length; batch = await it.nextv(1000)) {
          for (const [, v] of batch) if ((valueEncoding === 'utf8' ? JSON.parse(v as string) : v) !== null) n += 1;
        }
      } finally {
        await it.close();
      }
      if (n !== N) throw new Error(`bench: raw read ${n}, expected ${N}`);
      return perSec(n, performance.now() - start);
    };
    const rawUtf8 = { name: 'raw level iterator nextv + JSON.parse', value: await rawRead('utf8') };
    const rawJson = await rawRead('json');
    await raw.close();

    rows.push(row(`read: store.read() + decodeEvent, ${N} events`, perSec(N, readMs), 'events/s', rawUtf8));
    rows.push(row(`read: store.readBatches({app}) via the covering index, ${appCount} events, best of ${READ_PASSES}`, perSec(appCount, appMs), 'events/s', rawUtf8));
    rows.push(row(`read: same, against the raw range read of its ix-app entries + JSON.parse (its physical limit)`, perSec(appCount, appMs), 'events/s', { name: 'raw ix-app range nextv + JSON.parse', value: perSec(appCount, appRawMs) }));
    rows.push(row("read: raw level iterator, valueEncoding 'json'", rawJson, 'events/s', rawUtf8));
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** ms to read every entry under `prefix` with a raw iterator and JSON.parse each value; checks the count. */
async function rawRange(db: Level<string, string>, prefix: string, expected: number): Promise<number> {
  const start = performance.now();
  const it = db.iterator({ ...HWM, gt: prefix, lt: `${prefix}~` });
  let n = 0;
  try {
    for (let batch = await it.nextv(1000); batch.length; batch = await it.nextv(1000)) for (const [, v] of batch) if (JSON.parse(v) !== null) n += 1;
  } finally {
    await it.close();
  }
  if (n !== expected) throw new Error(`bench: raw range read ${n}, expected ${expected}`);
  return performance.now() - start;
}

/** Raw LevelDB batch(RAW_BATCH puts, sync) of the store's records: the old baseline. */
async function rawBatches(dir: string, entries: [string, string][]): Promise<{ name: string; value: number }> {
  const raw = new Level<string, string>(dir);
  const t0 = performance.now();
  for (let i = 0; i < entries.length; i += RAW_BATCH) {
    await raw.batch(entries.slice(i, i + RAW_BATCH).map(([key, value]) => ({ type: 'put' as const, key, value })), { sync: true });
  }
  const rawMs = performance.now() - t0;
  await raw.close();
  return { name: `raw level batch(${RAW_BATCH} puts, sync)`, value: perSec(entries.length, rawMs) };
}

/** Raw LevelDB batches of `size` events plus their app-index puts, synced: the shape group commit writes. */
async function rawSameShape(dir: string, entries: [string, string][], size: number): Promise<{ name: string; value: number }> {
  const same = new Level<string, string>(dir);
  const sampleN = 20_000;
  const t1 = performance.now();
  for (let i = 0; i < sampleN; i += size) {
    const ops = entries.slice(i, i + size).flatMap(([key, value]) => {
      const app = (JSON.parse(value) as { app: string }).app;
      return [{ type: 'put' as const, key, value }, { type: 'put' as const, key: `!ix-app!${app}!${key.slice(5)}`, value: '' }];
    });
    await same.batch(ops, { sync: true });
  }
  const sameMs = performance.now() - t1;
  await same.close();
  return { name: `raw level batch(${size} puts + ${size} index puts, sync)`, value: perSec(sampleN, sameMs) };
}
