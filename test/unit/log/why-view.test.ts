// `why --all` through the entries a store keeps once they are final (log/why-view.ts): whatever the log
// and wherever the daemon kept them, the kept entries and the explained rest are the entries `explain`
// gives over the whole log; compaction and import forget them; damaged ones are not used.
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { explain, explainAfter, renderWhy, whyTextChunks, type WhyEntry } from '../../../src/core/why.js';
import type { EventStore } from '../../../src/log/store.js';
import { keepable } from '../../../src/log/why-keep.js';
import { whyAllParts } from '../../../src/log/why-view.js';
import { APPS, validLog } from '../fuzz/logs.js';
import { RUNS, TIMEOUT } from '../fuzz/support.js';
import { bootData, events, fixedOpts, useTempDir } from './helpers.js';

/** Append a simulated log as the daemon writes it: boots through beginBoot, the rest as drafts. */
async function appendAs(store: EventStore, log: readonly Envelope[]): Promise<void> {
  for (const e of log) {
    if (e.type === 'BootStarted') await store.beginBoot(e.data);
    else await store.append([{ type: e.type, source: e.source, data: e.data, ...(e.app ? { app: e.app } : {}), ...(e.correlation ? { correlation: e.correlation } : {}), ...(e.causedBy ? { causedBy: e.causedBy } : {}) } as Draft]);
  }
}

/** `why --all`'s entries as the command line makes them: kept ones, then the rest explained. */
async function viaView(store: EventStore, app: string): Promise<WhyEntry[]> {
  const bad: number[] = [];
  const { kept, through, events: rest } = await whyAllParts(store, app, (seq) => bad.push(seq));
  expect(bad).toEqual([]);
  return [...explainAfter(kept, through, rest, app)];
}

/** `why --all`'s plain text as the command line makes it: kept texts, then the rest rendered. */
async function textVia(store: EventStore, app: string): Promise<string> {
  const { kept, texts = [], through, events: rest } = await whyAllParts(store, app, () => {}, { text: true });
  return [...whyTextChunks(texts, explainAfter(kept, through, rest, app), 2)].join('');
}

const whole = async (store: EventStore, app: string) => explain(await events(store.read()), app, { summaries: false });

describe('why --all through kept entries', () => {
  const tmp = useTempDir();

  it('given simulated logs appended in parts with the entries kept after some of them, when why --all reads each app, then it gives explain over the whole log', async () => {
    let n = 0;
    let kept = 0; // that the runs kept entries at all: a property over views that are all empty would prove nothing
    await fc.assert(fc.asyncProperty(validLog(40), fc.array(fc.nat(), { maxLength: 4 }), async (log, cuts) => {
      const store = await tmp.open(fixedOpts(), join(tmp.dir(), `db-${(n += 1)}`));
      const at = [...new Set(cuts.map((c) => (log.length === 0 ? 0 : c % log.length)))].sort((a, b) => a - b);
      let from = 0;
      for (const cut of [...at, log.length]) {
        await appendAs(store, log.slice(from, cut));
        from = cut;
        kept += (await store.materializeWhy()).entries;
        for (const app of [...APPS, 'nobody']) {
          const expected = await whole(store, app);
          expect(await viaView(store, app)).toEqual(expected);
          expect(await textVia(store, app)).toBe(renderWhy(expected));
        }
      }
      // kept twice over the same log: nothing added, the same answer
      expect((await store.materializeWhy()).entries).toBe(0);
      await store.close();
    }), { ...RUNS, numRuns: Math.max(10, Math.round(RUNS.numRuns / 4)) });
    expect(kept).toBeGreaterThan(0);
  }, TIMEOUT);

  it('given a store with kept entries, when it is compacted, then they are forgotten and why --all still gives explain over what is left', async () => {
    const store = await tmp.open(fixedOpts());
    await store.beginBoot(bootData);
    await store.append(history('a', 3));
    expect((await store.materializeWhy(AbortSignal.abort())).entries).toBe(0); // a daemon stopping: nothing more is kept
    expect(await store.whyView('a')).toBeUndefined();
    await store.materializeWhy();
    expect((await store.whyView('a'))?.entries.length).toBe(3);
    await store.compact(6, [], JSON.stringify({ foldVersion: 0, stateHash: '', state: { seq: 6 } }));
    expect(await store.whyView('a')).toBeUndefined();
    expect(await viaView(store, 'a')).toEqual(await whole(store, 'a'));
  });

  /**
   * App a's history of `rounds` rounds in a store, its entries kept, then the store closed and `damage`d
   * on disk and reopened; `expected` is explain's entries before the damage. `kept` looks at the store
   * while its entries are as kept.
   */
  async function keptThenDamaged(rounds: number, damage: (raw: Level<string, string>) => Promise<void>, kept?: (store: EventStore, expected: WhyEntry[]) => Promise<void>) {
    const dir = join(tmp.dir(), 'db');
    const store = await tmp.open(fixedOpts(), dir);
    await store.beginBoot(bootData);
    await store.append(history('a', rounds));
    await store.materializeWhy();
    const expected = await whole(store, 'a');
    await kept?.(store, expected);
    await store.close();
    const raw = new Level<string, string>(dir);
    await damage(raw);
    await raw.close();
    return { reopened: await tmp.open(undefined, dir), expected };
  }

  it('given kept entries, one of them damaged on disk, when why --all reads the app, then it reads the app the full way and gives the same entries', async () => {
    const { reopened, expected } = await keptThenDamaged(3, async (raw) => {
      const keys = await raw.keys({ gt: '!why!e!a!', lt: '!why!e!a!~' }).all();
      expect(keys.length).toBe(3);
      await raw.put(keys[1]!, '{"action":{"seq":"x"}');
    });
    expect(await reopened.whyView('a')).toBeUndefined();
    expect(await viaView(reopened, 'a')).toEqual(expected);
    expect(await textVia(reopened, 'a')).toBe(renderWhy(expected)); // its text is intact: printed as kept
  });

  it('given kept texts, one damaged on disk, when why --all prints the app, then it renders the app the full way, the same text', async () => {
    const { reopened, expected } = await keptThenDamaged(3, async (raw) => {
      const keys = await raw.keys({ gt: '!why!t!a!', lt: '!why!t!a!~' }).all();
      expect(keys.length).toBe(3);
      await raw.put(keys[2]!, '#3 start a at');
    }, async (store, entries) => expect(await textVia(store, 'a')).toBe(renderWhy(entries)));
    expect(await reopened.whyText('a')).toBeUndefined();
    expect(await textVia(reopened, 'a')).toBe(renderWhy(expected));
  });

  it('given kept texts made by another renderer (the horizon holds its rendering of sample entries), when why --all prints the app, then it renders the kept entries instead', async () => {
    const { reopened, expected } = await keptThenDamaged(2, async (raw) => {
      const horizon = JSON.parse((await raw.get('!why!h!a'))!) as { render: string };
      await raw.put('!why!h!a', JSON.stringify({ ...horizon, render: horizon.render.replace('because', 'since') }));
    });
    expect(await reopened.whyText('a')).toBeUndefined();
    expect((await reopened.whyView('a'))?.entries.length).toBe(2);
    expect(await textVia(reopened, 'a')).toBe(renderWhy(expected));
  });

  it('given an action without an outcome and one that succeeded with no start yet, when entries are kept, then the first waits for a later boot and the second for its effect, which readers and the next keeping find', async () => {
    const store = await tmp.open(fixedOpts());
    await store.beginBoot(bootData); // #1
    await store.append(history('a', 1)); // #2 exited, #3 start, #4 succeeded, #5 started
    await store.append([start('a', 2)]); // #6: no outcome yet
    await store.materializeWhy();
    expect((await store.whyView('a'))?.through).toBe(5);
    await store.beginBoot(bootData); // #7: #6 will never get one
    await store.append([start('a', 2), succeeded('a', 8)]); // #8, #9: succeeded, its container not started yet
    await store.materializeWhy();
    let view = await store.whyView('a');
    expect(view?.entries.map((w) => w.action.seq)).toEqual([3, 6, 8]);
    expect(view?.awaiting).toEqual([8]);
    expect(view?.through).toBe(9);
    await store.append([{ type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'c-a', name: 'a' } }]); // #10: #8's effect
    expect(await viaView(store, 'a')).toEqual(await whole(store, 'a'));
    expect(await textVia(store, 'a')).toBe(renderWhy(await whole(store, 'a')));
    await store.materializeWhy();
    view = await store.whyView('a');
    expect(view?.awaiting).toEqual([]);
    expect(view?.entries.at(-1)?.effects.map((x) => x.seq)).toEqual([10]);
    expect(await viaView(store, 'a')).toEqual(await whole(store, 'a'));
  });

  it('given entries in each state, then kept are: failed, started after success, no outcome with a later boot; awaiting: succeeded without a start; nothing past what was read', () => {
    const entry = (outcome?: 'ActionSucceeded' | 'ActionFailed', started = false): WhyEntry => ({
      action: { seq: 10, kind: 'start', app: 'a', at: 1 }, reasons: [],
      ...(outcome ? { outcome: { seq: 11, type: outcome, at: 2, summary: '' } } : {}),
      effects: started ? [{ seq: 12, type: 'ContainerStarted', at: 3, container: 'c', summary: '' }] : [],
    });
    expect(keepable(entry('ActionFailed'), 20, 0)).toBe('yes');
    expect(keepable(entry('ActionSucceeded', true), 20, 0)).toBe('yes');
    expect(keepable(entry('ActionSucceeded'), 20, 99)).toBe('awaiting');
    expect(keepable(entry(), 20, 5)).toBe('no');
    expect(keepable(entry(), 20, 11)).toBe('yes');
    expect(keepable(entry('ActionSucceeded', true), 11, 0)).toBe('no');
    expect(keepable(entry('ActionFailed'), 10, 0)).toBe('no');
  });
});

const start = (app: string, causedBy: number): Draft => ({ type: 'ActionStarted', source: 'reconciler', app, data: { action: { kind: 'start', app, reasons: [{ code: 'container-exited', causedBy }] } } });
const succeeded = (app: string, causedBy: number): Draft => ({ type: 'ActionSucceeded', source: 'executor', app, causedBy, data: { kind: 'start', containerId: `c-${app}` } });

/** `count` rounds of exited → start → succeeded → started, appended after a BootStarted at #1. */
function history(app: string, count: number): Draft[] {
  const drafts: Draft[] = [];
  for (let i = 0; i < count; i++) {
    const base = 2 + i * 4;
    drafts.push(
      { type: 'ContainerExited', source: 'podman', app, data: { id: `c-${app}`, name: app, exitCode: 137 } },
      start(app, base),
      succeeded(app, base + 1),
      { type: 'ContainerStarted', source: 'podman', app, data: { id: `c-${app}`, name: app } },
    );
  }
  return drafts;
}
