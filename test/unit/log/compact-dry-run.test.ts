// `compact --dry-run`: what a compaction would remove, and nothing changed. Its numbers are those the
// compaction then reports with the same options.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateHash } from '../../../src/core/evolve.js';
import { compactStore, previewCompaction } from '../../../src/log/compact.js';
import { foldStore } from '../../../src/log/fold.js';
import { EventStore } from '../../../src/log/store.js';
import { run } from '../cli/run.js';
import { capturedLog, collect, itemsOf, useTempDir } from './helpers.js';

const noCorrupt = (seq: number, reason: string) => {
  throw new Error(`unexpected bad record #${seq}: ${reason}`);
};

describe('compact --dry-run', () => {
  const tmp = useTempDir();

  async function seeded(times: number): Promise<string> {
    const dir = join(tmp.dir(), 'db');
    const store = await EventStore.open(dir);
    await store.importEvents(itemsOf(await capturedLog(times)));
    await store.close();
    return dir;
  }

  it('given a log of many boots, when previewed to keep 3 boots, then nothing changes and the compaction then removes what the preview said', async () => {
    const dir = await seeded(6);
    let store = await EventStore.open(dir);
    const boots = await store.boots();
    const records = (await collect(store.read())).length;
    const hash = stateHash(await foldStore(store, noCorrupt));
    const preview = await previewCompaction(store, { keepBoots: 3, onCorrupt: noCorrupt });
    expect(store.compaction).toBeUndefined();
    expect((await collect(store.read())).length).toBe(records);
    expect(stateHash(await foldStore(store, noCorrupt))).toBe(hash);

    const cut = boots.at(-4)!.last;
    expect(preview).toMatchObject({ through: cut, boots: boots.slice(0, -3).map((b) => b.boot) });
    const result = await compactStore(store, { keepBoots: 3, onCorrupt: noCorrupt });
    await store.close();
    expect(result.compacted).toBe(true);
    if (!result.compacted || 'compacted' in preview) return;
    expect({ removed: preview.removed, kept: preview.kept, apps: preview.apps }).toEqual({ removed: result.removed, kept: result.kept, apps: result.apps });

    store = await EventStore.open(dir);
    expect(await previewCompaction(store, { keepBoots: 3, onCorrupt: noCorrupt })).toEqual({ compacted: false, why: `nothing before the cut: the log was compacted through #${cut} there` });
    await store.close();
  });

  it('given the command line, when run with --dry-run, then it says what it would remove, in text and JSON, and the db is as it was', async () => {
    const dir = await seeded(3);
    const text = await run(['compact', '--dry-run', '--keep-boots', '1', '--data', dir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^dry run: would compact through #\d+: remove \d+ events \(boot\(s\) 1–\d+ whole\), keep \d+ at or before the cut/);
    expect(text.stdout).toMatch(/nothing was changed \(run without --dry-run to compact\)\n$/);
    const json = await run(['compact', '--dry-run', '--keep-boots', '1', '--json', '--data', dir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, through: expect.any(Number), removed: expect.any(Number), kept: expect.any(Number), boots: expect.any(Array), bytesBefore: expect.any(Number) });
    const all = await run(['compact', '--dry-run', '--keep-boots', '1000', '--data', dir]);
    expect(all.stdout).toMatch(/^dry run: nothing to compact: the log has \d+ boot\(s\), all of them kept \(--keep-boots 1000\)\n$/);
    const store = await EventStore.open(dir);
    expect(store.compaction).toBeUndefined();
    await store.close();
  });
});
