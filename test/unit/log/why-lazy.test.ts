// `why --all` decodes only the app's records `explain` scans; the others (by the type their text shows)
// are decoded only when a chain reaches them. A damaged copy of one that is reached is reported and read
// from log! as before; one never reached is never looked at.
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { EventStore } from '../../../src/log/store.js';
import { whyEvents } from '../../../src/log/why.js';
import { events, fixedOpts, useTempDir } from './helpers.js';

const drafts: Draft[] = [
  { type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'c-a', name: 'a', exitCode: 137 } }, // #1
  { type: 'HealthChanged', source: 'health', app: 'a', data: { id: 'c-a', status: 'unhealthy', failingStreak: 3 } }, // #2
  { type: 'ActionStarted', source: 'reconciler', app: 'a', data: { action: { kind: 'start', app: 'a', reasons: [{ code: 'container-exited', causedBy: 1 }] } } }, // #3
  { type: 'ActionSucceeded', source: 'executor', app: 'a', causedBy: 3, data: { kind: 'start', containerId: 'c-a' } }, // #4
];

describe('why --all through the app index, decoding lazily', () => {
  const tmp = useTempDir();

  it('given damaged copies of a chain link and of a record nothing reaches, when why loads, then the link is reported and read from the log, the other is passed over, and explain agrees with the whole log', async () => {
    const dir = join(tmp.dir(), 'db');
    const store = await EventStore.open(dir, fixedOpts());
    await store.append(drafts);
    await store.close();
    const raw = new Level<string, string>(dir);
    const copy = async (seq: number) => (await raw.get(`!ix-app!a!${String(seq).padStart(16, '0')}`))!;
    const link = (await copy(1)).replace('"exitCode":137', '"exitCode":"137"'); // still says ContainerExited
    const never = (await copy(2)).replace(/"data":.*$/, '"data":'); // cut short: not JSON
    await raw.batch([
      { type: 'put', key: '!ix-app!a!0000000000000001', value: link },
      { type: 'put', key: '!ix-app!a!0000000000000002', value: never },
    ]);
    await raw.close();

    const reopened = await tmp.open(undefined, dir);
    const bad: [number, string][] = [];
    const loaded = await whyEvents(reopened, 'a', { all: true, onCorrupt: (seq, reason) => bad.push([seq, reason]) });

    expect(bad).toEqual([[1, expect.stringMatching(/exitCode.*\(the copy in the app index\)$/)]]);
    expect(loaded.events.map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(explain(loaded.events, 'a')).toEqual(explain(await events(reopened.read()), 'a'));
    expect(explain(loaded.events, 'a')[0]!.reasons[0]!.cause![0]).toMatchObject({ seq: 1, type: 'ContainerExited' });
    // without summaries (the command line): the same entries but for the outcome's and effects' sentences, the same text
    const blank = explain(loaded.events, 'a').map((w) => ({ ...w, ...(w.outcome ? { outcome: { ...w.outcome, summary: '' } } : {}), effects: w.effects.map((x) => ({ ...x, summary: '' })) }));
    expect(explain(loaded.events, 'a', { summaries: false })).toEqual(blank);
    expect(renderWhy(explain(loaded.events, 'a', { summaries: false }))).toBe(renderWhy(explain(loaded.events, 'a')));
  });

  it('given causes in other apps damaged in the log, asked for while the index is read, and a damaged copy of the app\'s own link among them, when why loads, then each is reported once, in the order of the reasons, as one multi-get after the read reported them', async () => {
    const dir = join(tmp.dir(), 'db');
    const store = await EventStore.open(dir, fixedOpts());
    await store.append([
      { type: 'ContainerExited', source: 'podman', app: 'b', data: { id: 'c-b', name: 'b', exitCode: 1 } }, // #1, another app
      { type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'c-a', name: 'a', exitCode: 2 } }, // #2, the app's, passed over
      { type: 'ContainerExited', source: 'podman', app: 'c', data: { id: 'c-c', name: 'c', exitCode: 3 } }, // #3, another app
      { type: 'ActionStarted', source: 'reconciler', app: 'a', data: { action: { kind: 'start', app: 'a', reasons: [{ code: 'x', causedBy: 3 }, { code: 'y', causedBy: 1 }] } } }, // #4
      { type: 'ActionStarted', source: 'reconciler', app: 'a', data: { action: { kind: 'start', app: 'a', reasons: [{ code: 'z', causedBy: 2 }, { code: 'w', causedBy: 1 }] } } }, // #5
    ]);
    await store.close();
    const raw = new Level<string, string>(dir);
    const key = (sub: string, seq: number) => `!${sub}!${String(seq).padStart(16, '0')}`;
    await raw.batch([
      { type: 'put', key: key('log', 1), value: '{"seq":1,' }, // not JSON
      { type: 'put', key: key('log', 3), value: (await raw.get(key('log', 3)))!.replace('"exitCode":3', '"exitCode":"3"') },
    ]);
    await raw.close();

    for (const damagedCopy of [false, true]) {
      if (damagedCopy) { // the app's own link (#2) then fails too: its record is read from the log with the others
        const again = new Level<string, string>(dir);
        await again.put(`!ix-app!a!${String(2).padStart(16, '0')}`, '{"seq":2,');
        await again.close();
      }
      const reopened = await tmp.open(undefined, dir);
      const bad: number[] = [];
      const loaded = await whyEvents(reopened, 'a', { all: true, onCorrupt: (seq) => bad.push(seq) });
      // the first hop's order: #3, #1 (first action's reasons), #2 (second's); a damaged copy is reported as it is decoded, first
      expect(bad).toEqual(damagedCopy ? [2, 3, 1] : [3, 1]);
      expect(loaded.events.map((e) => e.seq)).toEqual([2, 4, 5]);
      expect(explain(loaded.events, 'a').map((w) => w.reasons.map((r) => r.cause?.[0]?.type))).toEqual([['(not in this log)', '(not in this log)'], ['ContainerExited', '(not in this log)']]);
      await reopened.close();
    }
  });
});
