// Projection snapshots: a start from the latest trusted snapshot folds only the tail and ends where a
// full fold ends; a snapshot that is corrupt, of another fold version or whose state does not hash to
// its recorded hash is passed over and reported.
import { describe, expect, it } from 'vitest';
import { stateHash } from '../../../src/core/evolve.js';
import { FOLD_VERSION } from '../../../src/core/state.js';
import { foldItems, foldStore, loadState } from '../../../src/log/fold.js';
import { encodeSnapshot, writeSnapshot } from '../../../src/log/snapshots.js';
import type { EventStore } from '../../../src/log/store.js';
import { capturedLog, itemsOf, useTempDir } from './helpers.js';

const noCorrupt = (seq: number, reason: string) => {
  throw new Error(`unexpected bad record #${seq}: ${reason}`);
};

describe('projection snapshots', () => {
  const tmp = useTempDir();

  async function seeded(): Promise<EventStore> {
    const store = await tmp.open();
    await store.importEvents(itemsOf(await capturedLog()));
    return store;
  }
  const stateAt = (store: EventStore, seq: number) => foldItems(store.read(), noCorrupt, seq);

  it('given a snapshot in the middle of a real log, when the projection is loaded, then it starts there, folds only the tail, and its hash equals a full fold', async () => {
    const store = await seeded();
    const mid = Math.floor(store.lastSeq / 2);
    await writeSnapshot(store, await stateAt(store, mid));

    const loaded = await loadState(store, { onCorrupt: noCorrupt });

    expect(loaded).toMatchObject({ startedFrom: 'snapshot', from: mid, folded: store.lastSeq - mid, rejected: [] });
    expect(stateHash(loaded.state)).toBe(stateHash(await foldStore(store, noCorrupt)));
    expect(loaded.state.seq).toBe(store.lastSeq);
  });

  it('given newer snapshots that are corrupt, of an old fold version, with a tampered state, or under another seq, when loaded, then each is reported and passed over, and the good older one is used', async () => {
    const store = await seeded();
    const good = Math.floor(store.lastSeq / 4);
    await writeSnapshot(store, await stateAt(store, good), 10);
    const old = await stateAt(store, good + 10);
    await store.putSnapshot(good + 10, JSON.stringify({ foldVersion: FOLD_VERSION - 1, stateHash: stateHash(old), state: old }), 10);
    const tampered = await stateAt(store, good + 20);
    await store.putSnapshot(good + 20, JSON.stringify({ foldVersion: FOLD_VERSION, stateHash: stateHash(tampered), state: { ...tampered, boot: 99 } }), 10);
    await store.putSnapshot(good + 30, '{"foldVersion": 2, "stateHash": "ab', 10);
    const elsewhere = await stateAt(store, good + 40);
    await store.putSnapshot(good + 41, encodeSnapshot(elsewhere), 10); // stored under the wrong seq

    const reports: string[] = [];
    const loaded = await loadState(store, { onCorrupt: noCorrupt, report: (m) => reports.push(m) });

    expect(loaded.startedFrom).toBe('snapshot');
    expect(loaded.from).toBe(good);
    expect(loaded.rejected.map((r) => r.seq)).toEqual([good + 41, good + 30, good + 20, good + 10]);
    expect(reports).toEqual([
      `snapshot at #${good + 41} ignored: stored at seq ${good + 41} but its state is at seq ${good + 40}`,
      expect.stringMatching(new RegExp(`^snapshot at #${good + 30} ignored: not JSON: `)),
      expect.stringMatching(new RegExp(`^snapshot at #${good + 20} ignored: its state hashes to [0-9a-f]{64}, not the recorded ${stateHash(tampered)}$`)),
      `snapshot at #${good + 10} ignored: folded by fold version ${FOLD_VERSION - 1}, today's is ${FOLD_VERSION}`,
    ]);
    expect(stateHash(loaded.state)).toBe(stateHash(await foldStore(store, noCorrupt)));
  });

  it('given only unusable snapshots, when loaded, then it folds from the start of the log and says why', async () => {
    const store = await seeded();
    await store.putSnapshot(5, 'garbage');
    const reports: string[] = [];
    const loaded = await loadState(store, { onCorrupt: noCorrupt, report: (m) => reports.push(m) });
    expect(loaded).toMatchObject({ startedFrom: 'start', from: 0, folded: store.lastSeq });
    expect(reports).toHaveLength(1);
    expect(stateHash(loaded.state)).toBe(stateHash(await foldStore(store, noCorrupt)));
  });

  it('given more snapshots than kept, when another is written, then only the newest few stay', async () => {
    const store = await seeded();
    for (const seq of [10, 20, 30, 40, 50]) await writeSnapshot(store, await stateAt(store, seq), 3);
    expect(await store.snapshotSeqs()).toEqual([50, 40, 30]);
    await expect(store.putSnapshot(store.lastSeq + 1, '{}')).rejects.toThrow(/outside the log/);
  });
});
