// Test helpers for the event log: a fresh temp dir per test, deterministic drafts, draining reads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
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
