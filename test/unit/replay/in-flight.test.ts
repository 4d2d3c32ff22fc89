// A plan taken while an action is in flight records the in-flight set, the decider's third input:
// `replay --check` decides again from the same three inputs, with no special case. Logs written
// before that recorded the apps left out (`deferred`); deferred.test.ts keeps those checking.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { renderEvent } from '../../../src/core/render.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { envelopes, manifest, observed, T0 } from '../core/builders.js';
import { given } from '../core/planner-spec.js';

describe('plans that record the apps in flight', () => {
  const catalog: Draft[] = [observed('a', manifest('a')), observed('b', manifest('b'))];
  const node = given(...catalog);
  const base = node.state;
  const at = T0 + 10_000;
  const full = node.when(at).plan.actions; // create a, create b
  const decision = (actions: typeof full, inFlight?: string[]): Draft => ({
    type: 'PlanDecided', source: 'reconciler',
    data: { atSeq: base.seq, stateHash: stateHash(base), plannedAt: at, actions, ...(inFlight ? { inFlight } : {}) },
  });

  it('given a plan taken while a was in flight, when checked, then the decider leaves a out again and agrees', () => {
    const log = envelopes([...catalog, decision(full.filter((a) => a.app !== 'a'), ['a'])]);
    expect(checkDecisions(log)).toEqual({ checked: 1, skipped: 0 });
  });

  it('given the same plan recorded with nothing in flight, when checked, then it diverges: the left-out app is not explained', () => {
    const log = envelopes([...catalog, decision(full.filter((a) => a.app !== 'a'))]);
    expect(checkDecisions(log).divergence).toMatchObject({ kind: 'plan', seq: 3 });
  });

  it('given a recorded in-flight app, when the plan also lists it, then it diverges: an app in flight is never acted on twice', () => {
    const log = envelopes([...catalog, decision(full, ['a'])]);
    expect(checkDecisions(log).divergence).toMatchObject({ kind: 'plan', seq: 3 });
  });

  it('given a plan taken while a was in flight, when rendered and folded, then it says in flight and the last plan keeps the set', () => {
    const [e] = envelopes([decision([], ['a'])], 3);
    expect(renderEvent(e!)).toContain('in flight: a');
    expect(fold(envelopes([...catalog, decision([], ['a'])])).lastPlan).toMatchObject({ seq: 3, actions: [], inFlight: ['a'] });
    expect(fold(envelopes([...catalog, decision(full)])).lastPlan).not.toHaveProperty('inFlight');
  });
});
