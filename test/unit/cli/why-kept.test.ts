// `why APP --all` on a store whose daemon kept the entries that can no longer change (log/why-view.ts):
// for every captured log, every form prints what the export itself gives.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLog } from '../../../src/cli/source.js';
import { initialState } from '../../../src/core/state.js';
import { serveControl } from '../../../src/daemon/control.js';
import { EventStore } from '../../../src/log/store.js';
import { REPO_ROOT } from '../../support/cli.js';
import { run } from './run.js';

const EVENTS = join(REPO_ROOT, 'events');

describe('why --all through kept entries, on the captured logs', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'podledger-why-kept-')); });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('given each captured log imported and its entries kept, when why APP --all runs with and without --json and --at, then it prints what the export gives', async () => {
    let keptTotal = 0;
    for (const name of (await readdir(EVENTS)).filter((f) => f.endsWith('.ndjson'))) {
      const file = join(EVENTS, name);
      const data = join(dir, name);
      expect((await run(['import', file, '--data', data])).code).toBe(0);
      const store = await EventStore.open(data);
      keptTotal += (await store.materializeWhy()).entries;
      const apps = new Set<string>();
      for await (const item of store.read()) if (item.ok && item.event.type === 'ActionStarted' && item.event.app) apps.add(item.event.app);
      await store.close();
      for (const app of [...apps, 'nosuchapp']) {
        for (const form of [[], ['--json'], ['--at', '5'], ['--json', '--at', '5']]) {
          const fromStore = await run(['why', app, '--all', ...form, '--data', data]);
          const fromLog = await run(['why', app, '--all', ...form, '--log', file]);
          expect({ ...fromStore, ms: 0 }, `${name} ${app} ${form.join(' ')}`).toEqual({ ...fromLog, ms: 0 });
        }
      }
    }
    expect(keptTotal).toBeGreaterThan(0);
  }, 120_000);

  it('given a running daemon (the store locked, its control socket served) that kept entries, when why APP --all runs, then they come over the socket and it prints what the export gives', async () => {
    const file = join(EVENTS, 'crash-loop.ndjson');
    const data = join(dir, 'served');
    expect((await run(['import', file, '--data', data])).code).toBe(0);
    const store = await EventStore.open(data);
    const control = await serveControl(data, store, () => initialState);
    try {
      expect((await store.materializeWhy()).entries).toBeGreaterThan(0);
      const source = await openLog({ data });
      expect(source.origin).toMatch(/^daemon at /);
      expect((await source.lookup.whyText?.('crasher'))?.texts.length).toBeGreaterThan(0);
      expect((await source.lookup.whyView?.('crasher'))?.entries.length).toBeGreaterThan(0);
      for (const form of [[], ['--json']]) {
        const served = await run(['why', 'crasher', '--all', ...form, '--data', data]);
        const fromLog = await run(['why', 'crasher', '--all', ...form, '--log', file]);
        expect({ ...served, ms: 0 }).toEqual({ ...fromLog, ms: 0 });
      }
    } finally {
      await control.close();
      await store.close();
    }
  });
});
