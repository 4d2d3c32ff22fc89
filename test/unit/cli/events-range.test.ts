// `events --since/--until` take a seq or a time, alone or with the other filters, from an export.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { events, UsageError, type Common, type EventFilter } from '../../../src/cli/commands.js';
import type { Envelope } from '../../../src/core/events.js';

const LOG = join(import.meta.dirname, '../../../events/host-ip-change.ndjson');
const o: Common = { apps: 'apps', data: '/nonexistent', podmanSocket: '/nonexistent.sock', json: true, log: LOG };

async function listed(f: EventFilter): Promise<Envelope[]> {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await events(o, f);
    return write.mock.calls.map((c) => JSON.parse(String(c[0])) as Envelope);
  } finally {
    write.mockRestore();
  }
}

describe('events in a range', () => {
  it('given seq bounds, then the events after --since up to and including --until', async () => {
    expect((await listed({ since: { seq: 10 }, until: { seq: 12 } })).map((e) => e.seq)).toEqual([11, 12]);
  });

  it('given time bounds, then the events at or after --since and at or before --until, whatever their seqs', async () => {
    const all = await listed({});
    const from = all.find((e) => e.seq === 10)!.at;
    const to = all.find((e) => e.seq === 17)!.at;
    const inRange = await listed({ since: { at: from }, until: { at: to } });
    expect(inRange.map((e) => e.seq)).toEqual(all.filter((e) => e.at >= from && e.at <= to).map((e) => e.seq));
    expect(inRange.length).toBeGreaterThan(2);
    expect(inRange.length).toBeLessThan(all.length);
  });

  it('given a time bound with an app and a type, then all filters hold together', async () => {
    const all = await listed({});
    const since = all.find((e) => e.type === 'HostFactsObserved' && e.seq > 2)!;
    const got = await listed({ app: 'fedimint', type: ['ActionStarted'], since: { at: since.at } });
    expect(got.map((e) => [e.seq, e.app, e.type])).toEqual([[19, 'fedimint', 'ActionStarted']]);
  });

  it('given --follow with --log or with --until, then a usage error saying what to give instead', async () => {
    await expect(events(o, { follow: true })).rejects.toThrow(UsageError);
    await expect(events(o, { follow: true })).rejects.toThrow('give --data DIR of the node');
    await expect(events({ ...o, log: undefined }, { follow: true, until: { seq: 3 } })).rejects.toThrow('--follow has no end; leave out --until');
  });
});
