// Retention on a real-ish log (the captured boots, one after another, several times over): compaction
// keeps the why history of every container that still exists, the final state, and a smaller db.
import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { plan } from '../../../src/core/plan.js';
import { checkDecisions } from '../../../src/core/replay.js';
import type { Envelope } from '../../../src/core/events.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { compact } from '../../../src/cli/compact.js';
import { compactionNote, openLog } from '../../../src/cli/source.js';
import { compactStore } from '../../../src/log/compact.js';
import { CompactionRefusedError } from '../../../src/log/errors.js';
import { foldStore, loadState } from '../../../src/log/fold.js';
import { readNdjson, writeNdjson } from '../../../src/log/ndjson.js';
import { EventStore } from '../../../src/log/store.js';
import { whyEvents } from '../../../src/log/why.js';
import { capturedLog, collect, events, itemsOf, useTempDir } from './helpers.js';

const noCorrupt = (seq: number, reason: string) => {
  throw new Error(`unexpected bad record #${seq}: ${reason}`);
};

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

/** `why APP --all` for every app with a container, as the CLI loads it, rendered. */
async function whyAnswers(store: EventStore): Promise<Record<string, string>> {
  const state = await foldStore(store, noCorrupt);
  const out: Record<string, string> = {};
  for (const app of Object.keys(state.containers).sort()) {
    out[app] = renderWhy(explain((await whyEvents(store, app, { all: true, onCorrupt: noCorrupt })).events, app));
  }
  return out;
}

describe('compaction', () => {
  const tmp = useTempDir();

  async function seeded(times: number): Promise<{ store: EventStore; log: Envelope[]; dir: string }> {
    const dir = join(tmp.dir(), 'db');
    const log = await capturedLog(times);
    const store = await EventStore.open(dir);
    await store.importEvents(itemsOf(log));
    return { store, log, dir };
  }

  it('given a real-ish log of many boots, when compacted to the last 3 boots, then why for every existing container is unchanged, the final state hash is unchanged, reads report no gaps, and the db is smaller', async () => {
    const { store: first, log, dir } = await seeded(6);
    const whyBefore = await whyAnswers(first);
    const hashBefore = stateHash(await foldStore(first, noCorrupt));
    const boots = await first.boots();
    await first.close();
    const sizeBefore = await dirSize(dir);
    expect(Object.keys(whyBefore).length).toBeGreaterThan(3);
    // the why answers are those of the whole log
    for (const [app, text] of Object.entries(whyBefore)) expect(text).toBe(renderWhy(explain(log, app)));

    let store = await EventStore.open(dir);
    const result = await compactStore(store, { keepBoots: 3, onCorrupt: noCorrupt });
    await store.close();

    const cut = boots.at(-4)!.last;
    expect(result).toMatchObject({ compacted: true, through: cut, stateHash: hashBefore, apps: Object.keys(whyBefore) });
    if (!result.compacted) return;
    expect(result.removed).toBeGreaterThan(cut / 2);
    expect(result.removed + result.kept).toBe(cut);

    expect(await dirSize(dir)).toBeLessThan(sizeBefore);

    store = await EventStore.open(dir); // what a later reader sees
    expect(store.compaction).toMatchObject({ through: cut, removed: result.removed });
    expect(store.compaction!.kept).toHaveLength(result.kept);
    expect(await whyAnswers(store)).toEqual(whyBefore);
    expect(stateHash(await foldStore(store, noCorrupt))).toBe(hashBefore);
    const loaded = await loadState(store, { onCorrupt: noCorrupt });
    expect(loaded).toMatchObject({ startedFrom: 'compaction', from: cut, folded: log.length - cut });
    expect(stateHash(loaded.state)).toBe(hashBefore);
    // a full read: the kept events below the cut and every event after it, and no gap reported
    const all = await events(store.read());
    expect(all.map((e) => e.seq)).toEqual([...store.compaction!.kept, ...log.slice(cut).map((e) => e.seq)]);
    expect(store.lastSeq).toBe(log.length);
    // the last 3 boots are whole
    for (const b of boots.slice(-3)) expect((await events(store.read({ boot: b.boot }))).length).toBe(b.last - b.first + 1);
    // the original export imports as already present: removed events count as skipped
    expect(await store.importEvents(itemsOf(log))).toEqual({ imported: 0, skipped: log.length });
    await store.close();
  });

  it('given a compacted log, when compacted again closer to the end and a daemon-style start snapshot exists, then why and the state hash still hold and the snapshots below the cut are gone', async () => {
    const { store } = await seeded(3);
    const whyBefore = await whyAnswers(store);
    const hashBefore = stateHash(await foldStore(store, noCorrupt));
    await compactStore(store, { keepBoots: 6, onCorrupt: noCorrupt });
    const first = store.compaction!;
    await store.putSnapshot(first.through + 5, JSON.stringify({})); // older than the next cut
    const second = await compactStore(store, { keepBoots: 1, onCorrupt: noCorrupt });

    expect(second.compacted && second.through).toBeGreaterThan(first.through);
    expect(await store.snapshotSeqs()).toEqual([store.compaction!.through]);
    expect(await whyAnswers(store)).toEqual(whyBefore);
    expect(stateHash(await foldStore(store, noCorrupt))).toBe(hashBefore);
    expect(await compactStore(store, { keepBoots: 1, onCorrupt: noCorrupt })).toEqual({ compacted: false, why: expect.stringMatching(/nothing before the cut/) });
    await store.close();
  });

  it('given a compaction interrupted after it recorded its cut, when read, then the records it left are read like kept ones, and the next compact removes them', async () => {
    const { store: first, log, dir } = await seeded(2);
    const hashBefore = stateHash(await foldStore(first, noCorrupt));
    await compactStore(first, { keepBoots: 2, onCorrupt: noCorrupt });
    const c = first.compaction!;
    await first.close();
    // put back removed records, as if the deletes had not happened
    const leftovers = log.filter((e) => e.seq <= c.through && !c.kept.includes(e.seq)).slice(0, 25);
    const raw = new Level<string, string>(dir);
    await raw.batch(leftovers.map((e) => ({ type: 'put' as const, key: `!log!${String(e.seq).padStart(16, '0')}`, value: JSON.stringify(e) })));
    await raw.close();

    const store = await EventStore.open(dir);
    expect((await events(store.read())).length).toBe(c.kept.length + leftovers.length + log.length - c.through);
    expect(stateHash(await foldStore(store, noCorrupt))).toBe(hashBefore);
    const again = await compactStore(store, { keepBoots: 2, onCorrupt: noCorrupt });
    expect(again).toMatchObject({ compacted: true, through: c.through, removed: leftovers.length, kept: c.kept.length });
    expect((await events(store.read())).length).toBe(c.kept.length + log.length - c.through);
    expect(await compactStore(store, { keepBoots: 2, onCorrupt: noCorrupt })).toMatchObject({ compacted: false });
    await store.close();
  });

  it('given a compacted log, when the CLI folds or checks it, then it starts from the cut: the same state hash, and decisions made before the cut are counted, not checked', async () => {
    const { store: first, dir } = await seeded(3);
    const hashBefore = stateHash(await foldStore(first, noCorrupt));
    await compactStore(first, { keepBoots: 1, onCorrupt: noCorrupt });
    await first.close();

    const source = await openLog({ data: dir });
    const log = await events(source.items);
    await source.close();
    const base = source.base!.state;
    expect(base.seq).toBeGreaterThan(0);
    expect(stateHash(fold(log.filter((e) => e.seq > base.seq), base))).toBe(hashBefore);
    // decisions made before the cut cannot be re-planned (their state is gone): they are counted, not checked
    const fromCut = checkDecisions(log, plan, base);
    expect(fromCut.skipped + fromCut.checked + (fromCut.divergence ? 1 : 0)).toBeLessThanOrEqual(log.filter((e) => e.type === 'PlanDecided').length);
    expect(fromCut.skipped).toBe(log.filter((e) => e.type === 'PlanDecided' && e.data.atSeq < base.seq && e.seq > base.seq).length);
  });

  it('given --before a time, when compacted, then the cut is the last event before it', async () => {
    const { store, log } = await seeded(1);
    const pivot = log[100]!;
    const result = await compactStore(store, { before: pivot.at, onCorrupt: noCorrupt });
    const firstAtOrAfter = log.find((e) => e.at >= pivot.at)!;
    expect(result.compacted && result.through).toBe(firstAtOrAfter.seq - 1);
    await store.close();
  });

  it('given a compacted store, when the whole log is read for an export, then a note says it was compacted and how; the export holds the kept events', async () => {
    const { store, dir } = await seeded(2);
    await compactStore(store, { keepBoots: 2, onCorrupt: noCorrupt });
    const c = store.compaction!;
    await store.close();

    const notes: string[] = [];
    const source = await openLog({ data: dir, notice: (t) => notes.push(t) });
    expect(source.compaction).toEqual(c);
    expect(source.base?.seq).toBe(c.through);
    const file = join(tmp.dir(), 'export.ndjson');
    const out = createWriteStream(file);
    await writeNdjson((async function* () { for await (const i of source.items) if (i.ok) yield i.event; })(), out);
    out.end();
    await finished(out);
    await source.close();

    expect(notes).toEqual([compactionNote(c)]);
    expect(notes[0]).toMatch(new RegExp(`compacted through #${c.through} .*: ${c.removed} events at or before it were removed on purpose and ${c.kept.length} kept`));
    const exported = await events(readNdjson(file));
    expect(exported.filter((e) => e.seq <= c.through).map((e) => e.seq)).toEqual(c.kept);
  });

  it('given a daemon holding the log, when compact is run, then it is refused with a message saying to stop the daemon', async () => {
    const { store, dir } = await seeded(1);
    const err = await compact({ data: dir, keepBoots: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompactionRefusedError);
    expect((err as Error).message).toMatch(/a running podledger daemon holds the event log; stop the daemon first/);
    expect(store.compaction).toBeUndefined();
    expect((await collect(store.read())).length).toBeGreaterThan(100);
  });
});
