// Captured boots (replay/*.ndjson, recorded from real daemons on real podman) replay offline with
// today's code: every record decodes, every recorded state hash is reproduced, today's planner makes
// every recorded decision again, and `why` explains the recreates.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { collect } from '../../../src/log/fold.js';
import { readNdjson } from '../../../src/log/ndjson.js';

const DIR = join(import.meta.dirname, '../../../replay');
const captures = readdirSync(DIR).filter((f) => f.endsWith('.ndjson')).sort();

async function load(file: string): Promise<Envelope[]> {
  const corrupt: string[] = [];
  const events = await collect(readNdjson(join(DIR, file)), (seq, reason) => corrupt.push(`#${seq}: ${reason}`));
  expect(corrupt).toEqual([]);
  return events;
}

describe.each(captures)('captured boot %s', (file) => {
  it("given the capture, when each recorded decision is re-planned from the state it was made on, then today's planner agrees", async () => {
    const events = await load(file);
    const result = checkDecisions(events);
    expect(result.divergence).toBeUndefined();
    expect(result.checked).toBe(events.filter((e) => e.type === 'PlanDecided').length);
    expect(result.checked).toBeGreaterThan(0);
  });
});

describe('demo-host-ip-change.ndjson', () => {
  it('given the demo capture, when asking why fedimint was recreated, then the HOST_IP change is the root cause', async () => {
    const events = await load('demo-host-ip-change.ndjson');
    const change = events.find((e) => e.type === 'HostFactsObserved' && e.data.changed.includes('HOST_IP') && e.data.facts.HOST_IP === '10.0.0.9')!;
    const last = explain(events, 'fedimint').at(-1)!;
    expect(last.action.kind).toBe('recreate');
    expect(renderWhy([last])).toContain(
      `because spec-changed env.FM_P2P_URL "fedimint://10.0.0.5:8173" → "fedimint://10.0.0.9:8173" causedBy #${change.seq}\n` +
      `    ← #${change.seq} HostFactsObserved HOST_IP "10.0.0.5" → "10.0.0.9"\n`,
    );
    expect(last.outcome?.type).toBe('ActionSucceeded');
  });
});
