// A plan taken while an action is in flight records the apps it left to that action as `deferred`,
// not as actions; `replay --check` leaves the same apps out of today's plan before comparing.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { plan } from '../../../src/core/plan.js';
import { renderEvent } from '../../../src/core/render.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { envelopes, manifest, observed, T0 } from '../core/builders.js';

describe('plans with apps deferred to an action in flight', () => {
  const catalog: Draft[] = [observed('a', manifest('a')), observed('b', manifest('b'))];
  const base = fold(envelopes(catalog));
  const at = T0 + 10_000;
  const full = plan(base, at).actions; // create a, create b
  const decision = (actions: typeof full, deferred?: string[]): Draft => ({
    type: 'PlanDecided', source: 'reconciler',
    data: { atSeq: base.seq, stateHash: stateHash(base), plannedAt: at, actions, ...(deferred ? { deferred } : {}) },
  });

  it('given a recorded plan without the in-flight app and that app deferred, when checked, then it agrees with today\'s planner', () => {
    const log = envelopes([...catalog, decision(full.filter((a) => a.app !== 'a'), ['a'])]);
    expect(full.map((a) => `${a.kind} ${a.app}`)).toEqual(['create a', 'create b']);
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
