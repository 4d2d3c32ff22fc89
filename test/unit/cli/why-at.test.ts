// `why APP --at SEQ|TIME` on the captured host-IP-change boot: fedimint was created at #11 and recreated
// at #19 after the host IP changed (#17). Asked as of a point, why answers with the last action at or
// before it, from an export (--log) and from a store (by its indexes) alike.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidInputError, type Bound, type Common } from '../../../src/cli/commands.js';
import { why } from '../../../src/cli/why-command.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { EventStore } from '../../../src/log/store.js';
import type { WhyEntry } from '../../../src/core/why.js';

const LOG = join(import.meta.dirname, '../../../events/host-ip-change.ndjson');

describe('why --at', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-why-at-'));
    const store = await EventStore.open(join(dir, 'data'));
    await store.importEvents(readNdjson(LOG));
    await store.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The entries `why --json` prints. */
  async function asked(source: 'log' | 'data', at: Bound | undefined, all = false): Promise<number[]> {
    const o: Common = { apps: 'apps', data: join(dir, 'data'), podmanSocket: '/nonexistent.sock', json: true, ...(source === 'log' ? { log: LOG } : {}) };
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await why(o, 'fedimint', all, at);
      const printed = JSON.parse(write.mock.calls.map((c) => String(c[0])).join('')) as { entries: WhyEntry[] };
      return printed.entries.map((w) => w.action.seq);
    } finally {
      write.mockRestore();
    }
  }

  for (const source of ['log', 'data'] as const) {
    describe(`from --${source}`, () => {
      it('given no point, then the last action: the recreate at #19', async () => {
        expect(await asked(source, undefined)).toEqual([19]);
      });

      it('given a seq before the recreate, then the create at #11; at the recreate itself, the recreate', async () => {
        expect(await asked(source, { seq: 18 })).toEqual([11]);
        expect(await asked(source, { seq: 19 })).toEqual([19]);
      });

      it('given the time of the create, then the create; with --all, every action up to the point', async () => {
        expect(await asked(source, { at: Date.parse('2026-11-27T10:14:00.157Z') })).toEqual([11]);
        expect(await asked(source, { seq: 18 }, true)).toEqual([11]);
        expect(await asked(source, { seq: 23 }, true)).toEqual([11, 19]);
      });

      it('given a seq past the end of the log, then an error naming where it ends, as replay and diff say', async () => {
        const o: Common = { apps: 'apps', data: join(dir, 'data'), podmanSocket: '/nonexistent.sock', ...(source === 'log' ? { log: LOG } : {}) };
        const err = await why(o, 'fedimint', true, { seq: 100 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toBe('why: --at 100: the log ends at #23; give a seq from 0 to 23');
      });

      it('given a point before any action of the app, then an error naming the point', async () => {
        const o: Common = { apps: 'apps', data: join(dir, 'data'), podmanSocket: '/nonexistent.sock', ...(source === 'log' ? { log: LOG } : {}) };
        const err = await why(o, 'fedimint', false, { seq: 5 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toBe('why: fedimint: no create, recreate, start or remove of this app in the log at or before #5');
      });
    });
  }
});
