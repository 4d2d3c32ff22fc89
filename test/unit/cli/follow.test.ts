// `events --follow` against a store served on a control socket as the daemon serves it (no podman
// needed): events arrive as they are appended, filtered, each exactly once, across daemon restarts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { initialState } from '../../../src/core/state.js';
import { followLog } from '../../../src/cli/follow.js';
import { serveControl } from '../../../src/daemon/control.js';
import { EventStore } from '../../../src/log/store.js';
import { exited, secret } from '../log/helpers.js';

describe('events --follow', () => {
  let dir = '';
  let store: EventStore;
  let stop: AbortController;
  let following: Promise<void> | undefined;
  const seen: Envelope[] = [];
  const said: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-follow-'));
    store = await EventStore.open(join(dir, 'data'));
    stop = new AbortController();
    seen.length = 0;
    said.length = 0;
  });
  afterEach(async () => {
    stop.abort();
    await following;
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const follow = (read: { app?: string }, since: number) => {
    following = followLog(join(dir, 'data'), read, since, {
      event: (e) => seen.push(e),
      corrupt: (seq, reason) => said.push(`corrupt #${seq}: ${reason}`),
      waiting: (message) => said.push(message),
    }, stop.signal);
  };
  const until = async (what: string, ok: () => boolean) => {
    for (const deadline = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; seen ${seen.map((e) => e.seq).join(',')}; said ${said.join(' | ')}`);
    }
  };

  it('given a serving daemon, when following one app from a seq, then only that app\'s later events arrive, in order, once each', async () => {
    await store.append([exited('a'), exited('b'), exited('a')]);
    const control = await serveControl(join(dir, 'data'), store, () => initialState);
    try {
      follow({ app: 'a' }, 1);
      await until('the existing event after #1', () => seen.length === 1);
      await store.append([exited('b'), exited('a')]);
      await store.append([secret('pw'), exited('a')]);
      await until('two appended events of a', () => seen.length === 3);
      await new Promise((r) => setTimeout(r, 100)); // nothing more comes
      expect(seen.map((e) => [e.seq, e.app])).toEqual([[3, 'a'], [5, 'a'], [7, 'a']]);
      expect(said).toEqual([]);
    } finally {
      await control.close();
    }
  });

  it('given no daemon, when one starts, stops, appends while down and serves again, then the follower waits, says so once per wait, and gets every event exactly once', async () => {
    await store.append([secret('one')]);
    follow({}, 1);
    await until('the wait to be announced', () => said.length === 1);
    expect(said[0]).toMatch(/no daemon answers at .*control\.sock; waiting for one \(Ctrl-C to stop\)/);

    let control = await serveControl(join(dir, 'data'), store, () => initialState);
    await store.append([secret('two')]);
    await until('#2', () => seen.length === 1);
    await control.close(); // the daemon stops
    await until('the second wait', () => said.filter((m) => m.includes('waiting for one')).length === 2);
    await store.append([secret('three')]); // the next daemon's start, before it serves
    control = await serveControl(join(dir, 'data'), store, () => initialState);
    try {
      await store.append([secret('four')]);
      await until('#3 and #4', () => seen.length === 3);
      expect(seen.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(said.filter((m) => m.includes('answers; following from')).length).toBe(2);
    } finally {
      await control.close();
    }
  });
});
