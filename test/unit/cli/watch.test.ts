// `status --watch` against a store served on a control socket as the daemon serves it (no podman
// needed): one render at once, one more after each burst of appends, and a stop that is a success.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialState } from '../../../src/core/state.js';
import type { Common } from '../../../src/cli/commands.js';
import { UsageError } from '../../../src/cli/errors.js';
import { watchStatus } from '../../../src/cli/watch.js';
import { serveControl } from '../../../src/daemon/control.js';
import { EventStore } from '../../../src/log/store.js';
import { exited, secret } from '../log/helpers.js';
import { run } from './run.js';

describe('status --watch', () => {
  let dir = '';
  let store: EventStore;
  let o: Common;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-watch-'));
    store = await EventStore.open(join(dir, 'data'));
    o = { apps: 'apps', data: join(dir, 'data'), podmanSocket: '/nonexistent.sock' };
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const until = async (what: string, ok: () => boolean) => {
    for (const deadline = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  };

  it('given a serving daemon, when events are appended in bursts, then one render at once and one per burst, and a stop ends it without error', async () => {
    await store.append([exited('a')]);
    // the daemon's projection has folded #1: following starts after it
    const control = await serveControl(o.data, store, () => ({ ...initialState, seq: 1 }));
    const stop = new AbortController();
    let renders = 0;
    try {
      const watching = watchStatus(o, { render: async () => void (renders += 1), signal: stop.signal, clear: false });
      await until('the first render', () => renders === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(renders).toBe(1); // the events already there are not news
      await store.append([exited('b'), secret('pw')]);
      await store.append([exited('a')]);
      await until('a render after the burst', () => renders === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(renders).toBe(2);
      stop.abort();
      await expect(watching).resolves.toBeUndefined();
    } finally {
      stop.abort();
      await control.close();
    }
  });

  it('given a render that fails, when the log changes, then the watch ends with its error', async () => {
    const control = await serveControl(o.data, store, () => initialState);
    let renders = 0;
    try {
      const watching = watchStatus(o, {
        render: async () => { renders += 1; if (renders > 1) throw new UsageError('status: boom'); },
        signal: new AbortController().signal, clear: false,
      });
      await until('the first render', () => renders === 1);
      await store.append([exited('a')]);
      await expect(watching).rejects.toThrow('status: boom');
    } finally {
      await control.close();
    }
  });

  it('given --log, when watched, then a usage error: a watch follows a live node', async () => {
    const r = await run(['status', '--watch', '--log', '/nonexistent.ndjson']);
    expect(r.code).toBe(2);
    expect(r.errorLines).toEqual(['podledger: status --watch follows a live log: give --data DIR of the node (its daemon is read through its control socket), not --log']);
  });
});
