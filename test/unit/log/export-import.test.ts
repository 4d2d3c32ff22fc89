// Exports carry what their events alone do not: the node they belong to, and for a compacted log the
// cut and the state there. So a compacted export imports whole into an empty store and replays to the
// node's state, and no import or daemon ever mixes two nodes' logs (secret hashes are keyed per node).
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { importCommand, type Common } from '../../../src/cli/commands.js';
import { exportCommand } from '../../../src/cli/export.js';
import { openLog } from '../../../src/cli/source.js';
import { compactStore } from '../../../src/log/compact.js';
import { ImportError } from '../../../src/log/errors.js';
import { loadState } from '../../../src/log/fold.js';
import { readNdjson, writeNdjson } from '../../../src/log/ndjson.js';
import { EventStore } from '../../../src/log/store.js';
import { whyEvents } from '../../../src/log/why.js';
import { ForeignNodeError, NODE_KEY_FILE, nodeKeyFor, nodeKeyId } from '../../../src/log/node-identity.js';
import { bootData, capturedLog, collect, events, itemsOf, secret, useTempDir } from './helpers.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const NODE_A = nodeKeyId(KEY_A);
const NODE_B = nodeKeyId(KEY_B);
const noCorrupt = (seq: number, reason: string) => {
  throw new Error(`unexpected bad record #${seq}: ${reason}`);
};
const options = (data: string): Common => ({ apps: 'apps', data, podmanSocket: '/nonexistent.sock', json: true });

async function whyAnswers(store: EventStore, apps: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const app of apps) out[app] = renderWhy(explain((await whyEvents(store, app, { all: true, onCorrupt: noCorrupt })).events, app));
  return out;
}

describe('export and import', () => {
  const tmp = useTempDir();

  /** Node A: a real-ish log of several boots, its key beside it, compacted to the last boot. */
  async function compactedNodeA(): Promise<{ dir: string; hash: string; through: number; why: Record<string, string> }> {
    const dir = join(tmp.dir(), 'node-a');
    const store = await EventStore.open(dir);
    await writeFile(join(dir, NODE_KEY_FILE), KEY_A, { mode: 0o600 });
    await store.importEvents(itemsOf(await capturedLog(3)), { node: NODE_A });
    const result = await compactStore(store, { keepBoots: 1, onCorrupt: noCorrupt });
    if (!result.compacted) throw new Error(`not compacted: ${result.why}`);
    const state = (await loadState(store, { onCorrupt: noCorrupt })).state;
    const why = await whyAnswers(store, Object.keys(state.containers).sort());
    await store.close();
    return { dir, hash: stateHash(state), through: result.through, why };
  }

  it('given a compacted log, when exported and imported into an empty data dir, then the compaction comes along: same state, same why answers, the export replays to that state, and a re-import changes nothing', async () => {
    const a = await compactedNodeA();
    const file = join(tmp.dir(), 'a.ndjson');
    await exportCommand(options(a.dir), { format: 'ndjson', out: file });
    const header = JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ podledger: 'export', format: 1, node: NODE_A, compaction: { through: a.through } });

    const b = join(tmp.dir(), 'node-b');
    await importCommand(options(b), file);
    const store = await EventStore.open(b);
    try {
      expect(store.compaction?.through).toBe(a.through);
      expect(await store.node()).toBe(NODE_A);
      const loaded = await loadState(store, { onCorrupt: noCorrupt });
      expect(loaded.startedFrom).toBe('compaction');
      expect(stateHash(loaded.state)).toBe(a.hash);
      expect(await whyAnswers(store, Object.keys(a.why))).toEqual(a.why);
      expect(await store.importEvents(itemsOf(await events(store.read())), { node: NODE_A })).toMatchObject({ imported: 0 });
    } finally {
      await store.close();
    }

    const offline = await openLog({ data: b, log: file, notice: () => {} });
    expect(offline.base?.seq).toBe(a.through);
    const replayed = await collect(offline.items);
    expect(stateHash(fold(replayed.flatMap((i) => (i.ok && i.event.seq > a.through ? [i.event] : [])), offline.base!.state))).toBe(a.hash);
  });

  it('given a compacted export, when imported into a store that ends before its cut, then it is refused with the cut, the store\'s end and the way out, and nothing is written', async () => {
    const a = await compactedNodeA();
    const file = join(tmp.dir(), 'a.ndjson');
    await exportCommand(options(a.dir), { format: 'ndjson', out: file });
    const dir = join(tmp.dir(), 'short');
    const short = await EventStore.open(dir);
    await short.append([secret('pw')]);
    await short.close();

    const err = await importCommand(options(dir), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as Error).message).toMatch(new RegExp(`compacted through #${a.through}.*this store ends at #1.*empty --data`));
    const store = await EventStore.open(dir);
    expect(store.lastSeq).toBe(1);
    await store.close();
  });

  it("given an export of node A, when imported into a data dir holding node B's key, then it is refused naming both nodes, before any event is written", async () => {
    const a = await compactedNodeA();
    const file = join(tmp.dir(), 'a.ndjson');
    await exportCommand(options(a.dir), { format: 'ndjson', out: file });
    const dir = join(tmp.dir(), 'node-b');
    const empty = await EventStore.open(dir);
    await empty.close();
    await writeFile(join(dir, NODE_KEY_FILE), KEY_B);

    const err = await importCommand(options(dir), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignNodeError);
    expect((err as Error).message).toBe(
      `import events: line 1 (the export header): the export is of node ${NODE_A}, but ${dir} belongs to node ${NODE_B}: `
      + "one log never mixes two nodes' events (their secret hashes use different keys); import it into an empty --data to inspect it",
    );
    const store = await EventStore.open(dir);
    expect([store.lastSeq, await store.node()]).toEqual([0, undefined]);
    await store.close();
  });

  it('given a header-less export whose BootStarted names node A, when imported into a store of node B, then the events before that BootStarted are imported and it is refused at its line', async () => {
    const source = await EventStore.open(join(tmp.dir(), 'src'));
    await source.append([secret('one'), secret('two')]);
    await source.beginBoot({ ...bootData, node: NODE_A });
    await source.append([secret('three')]);
    const file = join(tmp.dir(), 'plain.ndjson');
    const out = createWriteStream(file);
    await writeNdjson((async function* () { yield* await events(source.read()); })(), out);
    await new Promise((resolve) => out.end(resolve));
    await source.close();

    const store = await EventStore.open(join(tmp.dir(), 'b'));
    try {
      const err = await store.importEvents(readNdjson(file), { node: NODE_B }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForeignNodeError);
      expect((err as Error).message).toContain(`line 3 (BootStarted #3): the export is of node ${NODE_A}, but`);
      expect(store.lastSeq).toBe(2);
    } finally {
      await store.close();
    }
  });

  describe("the daemon's node key", () => {
    // `tmp.open` closes the stores it opened after each test.
    it('given an empty data dir, when the daemon starts twice, then it makes a key once, records its node, and accepts it the second time', async () => {
      const dir = join(tmp.dir(), 'fresh');
      const store = await tmp.open(undefined, dir);
      const first = await nodeKeyFor(store, dir);
      expect(await store.node()).toBe(first.id);
      const again = await nodeKeyFor(store, dir);
      expect(again).toEqual(first);
    });

    it("given another node's imported log and no key, when the daemon starts, then it refuses and makes no key", async () => {
      const dir = join(tmp.dir(), 'imported');
      const store = await tmp.open(undefined, dir);
      await store.setNode(NODE_A);
      const err = await nodeKeyFor(store, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForeignNodeError);
      expect((err as Error).message).toMatch(new RegExp(`written by node ${NODE_A}, but .*node.key is missing: put back that node's node.key`));
      expect(existsSync(join(dir, NODE_KEY_FILE))).toBe(false);
    });

    it("given a log of node A and node B's key beside it, when the daemon starts, then it refuses naming both", async () => {
      const dir = join(tmp.dir(), 'swapped');
      const store = await tmp.open(undefined, dir);
      await store.setNode(NODE_A);
      await writeFile(join(dir, NODE_KEY_FILE), KEY_B);
      await expect(nodeKeyFor(store, dir)).rejects.toThrow(`written by node ${NODE_A}, but ${dir}/node.key is the key of node ${NODE_B}`);
    });
  });
});
