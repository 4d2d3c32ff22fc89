// A plan taken while an action is in flight records the apps it left to that action as `deferred`,
// not as actions; `replay --check` leaves the same apps out of today's plan before comparing.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { renderEvent } from '../../../src/core/render.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { envelopes, manifest, observed, T0 } from '../core/builders.js';
import { given } from '../core/planner-spec.js';

describe('plans with apps deferred to an action in flight', () => {
  const catalog: Draft[] = [observed('a', manifest('a')), observed('b', manifest('b'))];
  const node = given(...catalog);
  const base = node.state;
  const at = T0 + 10_000;
  const full = node.when(at).plan.actions; // create a, create b
  const decision = (actions: typeof full, deferred?: string[]): Draft => ({
    type: 'PlanDecided', source: 'reconciler',
    data: { atSeq: base.seq, stateHash: stateHash(base), plannedAt: at, actions, ...(deferred ? { deferred } : {}) },
  });

  it('given a recorded plan without the in-flight app and that app deferred, when checked, then it agrees with today\'s planner', () => {
    const log = envelopes([...catalog, decision(full.filter((a) => a.app !== 'a'), ['a'])]);
    node.when(at).thenPlan('create a\n  container-missing causedBy #1\ncreate b\n  container-missing causedBy #2\n');
    expect(checkDecisions(log)).toEqual({ checked: 1, skipped: 0 });
  });

  it('given the same plan without `deferred`, when checked, then it diverges: the left-out app is not explained', () => {
    const log = envelopes([...catalog, decision(full.filter((a) => a.app !== 'a'))]);
    expect(checkDecisions(log).divergence).toMatchObject({ kind: 'plan', seq: 3 });
  });

  it('given a plan whose only app is deferred, when rendered, then it says in flight, not converged', () => {
    const [e] = envelopes([decision([], ['a'])], 3);
    expect(renderEvent(e!)).toContain('in flight: a');
    expect(renderEvent(e!)).not.toContain('converged');
  });

  it('given a plan with deferred apps, when folded, then the last plan keeps them; without, the field is absent', () => {
    expect(fold(envelopes([...catalog, decision([], ['a'])])).lastPlan).toMatchObject({ seq: 3, actions: [], deferred: ['a'] });
    expect(fold(envelopes([...catalog, decision(full)])).lastPlan).not.toHaveProperty('deferred');
  });
});
