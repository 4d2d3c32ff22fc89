// A log written by an early podledger (0.1 development: ManifestObserved/ActionSucceeded v1, spec hash
// version 1) replays with today's code: its events are upcast, and its containers are accepted as
// they are — upgrading podledger recreates nothing.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { HASH_VERSION } from '../../../src/core/spec.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { collect } from '../../../src/log/fold.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { readFileSync } from 'node:fs';
import { givenLog } from '../core/planner-spec.js';

const FILE = join(import.meta.dirname, '../../../events/v0.1-dev-demo-host-ip-change.ndjson');

describe('a log written by podledger 0.1-dev', () => {
  it('given its raw records, when read, then they are older versions than today writes', () => {
    const raw = readFileSync(FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; v: number; data: Record<string, unknown> });
    expect(raw.filter((e) => e.type === 'ManifestObserved').every((e) => e.v === 1)).toBe(true);
    expect(JSON.stringify(raw)).toContain('"options":"size=1m"');
    expect(raw.find((e) => e.type === 'BootStarted')?.data.hashVersion).toBe(1);
    expect(HASH_VERSION).toBeGreaterThan(1);
  });

  it('given the log, when decoded and folded with today\'s code, then every record is upcast and no container needs recreating', async () => {
    const corrupt: string[] = [];
    const events: Envelope[] = await collect(readNdjson(FILE), (seq, reason) => corrupt.push(`#${seq} ${reason}`));
    expect(corrupt).toEqual([]);
    expect(events.filter((e) => e.type === 'ManifestObserved').every((e) => e.v === 2)).toBe(true);
    const bitcoind = events.find((e) => e.type === 'ManifestObserved' && e.app === 'bitcoind');
    expect(JSON.stringify(bitcoind)).toContain('"size":"1m"');

    const log = givenLog(events);
    const state = log.state;
    expect(Object.keys(state.containers).sort()).toEqual(['bitcoin-ui', 'bitcoind', 'electrs', 'fedimint']);
    expect(Object.values(state.apps).filter((a) => a.rejected)).toEqual([]);
    log.when(events.at(-1)!.at).thenNothingToDo();
  });

  it('given the log, when asked why fedimint was recreated, then the answer is the same as the day it was written', async () => {
    const events = await collect(readNdjson(FILE), () => undefined);
    expect(renderWhy(explain(events, 'fedimint').slice(-1))).toContain('← #19 HostFactsObserved HOST_IP "10.0.0.5" → "10.0.0.9"');
  });
});
