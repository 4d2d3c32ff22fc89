// Test helpers for the event log: a fresh temp dir per test, deterministic drafts, draining reads.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { EventStore } from '../../../src/log/store.js';
import type { ReadItem, StoreOptions } from '../../../src/log/store.js';

/** A fresh directory for each test, removed afterwards with every store opened through `open`. */
export function useTempDir(): { dir: () => string; open: (opts?: StoreOptions, dir?: string) => Promise<EventStore> } {
  let dir = '';
  let stores: EventStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-log-'));
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    open: async (opts, at = join(dir, 'db')) => {
      const s = await EventStore.open(at, opts);
      stores.push(s);
      return s;
    },
  };
}

/** Deterministic clock and ids, so envelopes can be compared exactly. */
export function fixedOpts(): Required<Pick<StoreOptions, 'clock' | 'newId'>> {
  let t = 1_700_000_000_000;
  let n = 0;
  return { clock: () => (t += 1), newId: () => `id-${String((n += 1)).padStart(6, '0')}` };
}

export const bootData = { version: '0.1.0', pid: 4242, foldVersion: 1, hashVersion: 1 };

export const secret = (name: string, app?: string): Draft => ({
  type: 'SecretObserved', source: 'secrets', ...(app ? { app } : {}), data: { name, hash: `hmac:${name}` },
});

export const exited = (app: string, exitCode = 1): Draft => ({
  type: 'ContainerExited', source: 'podman', app, data: { id: `c-${app}`, name: app, exitCode },
});

/** Small seeded PRNG (mulberry32): random sizes that reproduce. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** The events of a read, failing the test on any `{ok: false}`. */
export async function events(items: AsyncIterable<ReadItem>) {
  const all = await collect(items);
  const bad = all.filter((i) => !i.ok);
  if (bad.length) throw new Error(`unexpected bad records: ${JSON.stringify(bad)}`);
  return all.flatMap((i) => (i.ok ? [i.event] : []));
}

/**
 * A real-ish multi-boot log: the captured boots of events/*.ndjson (recorded from real daemons on real
 * podman) one after the other, renumbered to one gapless log (seq, boot, and every causedBy and atSeq
 * inside them shifted), repeated `times` times.
 */
export async function capturedLog(times = 1): Promise<Envelope[]> {
  const dir = join(import.meta.dirname, '../../../events');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson') && !f.startsWith('v0.')).sort();
  const captures: Envelope[][] = [];
  for (const f of files) captures.push(await events(readNdjson(join(dir, f))));
  const out: Envelope[] = [];
  let boot = 0;
  for (let t = 0; t < times; t++) {
    for (const capture of captures) {
      const offset = out.length;
      const bootOffset = boot;
      for (const e of capture) {
        const moved = shiftSeqs(e, offset) as Envelope;
        moved.boot = e.boot + bootOffset;
        moved.id = `${e.id}-${t}`;
        // boots of several recordings, one log: none names the throwaway node it was recorded on
        if (moved.type === 'BootStarted') delete moved.data.node;
        out.push(moved);
        boot = Math.max(boot, moved.boot);
      }
    }
  }
  return out;
}

function shiftSeqs(value: unknown, offset: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftSeqs(v, offset));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, (k === 'seq' || k === 'causedBy' || k === 'atSeq') && typeof v === 'number' ? v + offset : shiftSeqs(v, offset)]));
}

export async function* itemsOf(events: Envelope[]): AsyncGenerator<ReadItem> {
  for (const event of events) yield { ok: true, event };
}
