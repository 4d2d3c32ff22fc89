// Captured boots (replay/*.ndjson, recorded from real daemons on real podman) replay offline with
// today's code: every record decodes, every recorded state hash is reproduced, today's planner makes
// every recorded decision again, and `why` explains the recreates.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { plan } from '../../../src/core/plan.js';
import { checkDecisions, type Planner } from '../../../src/core/replay.js';
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

describe('divergence detection', () => {
  it('given a planner whose restart rule changed, when the capture is checked, then the first decision it would make differently is reported', async () => {
    const events = await load('demo-host-ip-change.ndjson');
    // a "planner change": never restart exited containers
    const changed: Planner = (state, now) => ({ actions: plan(state, now).actions.filter((a) => !(a.kind === 'start' || (a.kind === 'wait' && a.attempt !== undefined))) });
    const result = checkDecisions(events, changed);
    const firstRestartDecision = events.find((e) => e.type === 'PlanDecided' && e.data.actions.some((a) => a.kind === 'wait' || a.kind === 'start'))!;
    expect(result.divergence).toMatchObject({ seq: firstRestartDecision.seq, kind: 'plan' });
    expect(result.divergence!.replayed.actions).not.toEqual(result.divergence!.recorded.actions);
  });
});
