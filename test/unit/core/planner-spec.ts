// Given/when/then for the planner: given a log of events, when the planner decides at a time, then
// the plan, as text rendered by the project's own renderer (src/core/render.ts). Comparing the text
// exactly, like compose's plan tests, makes a change in wording, order, reasons or causes a visible
// diff. Every planner test goes through here:
//
//   given(observed('web', web))
//     .when(T0 + 10_000)
//     .thenPlan('create web\n  container-missing causedBy #1\n');
//
// The log grows event by event (`and`, `created`, `health`); events are one second apart (the first
// at T0 + 1 s, as builders.envelopes), unless `andAt` puts one at a chosen time.
import { expect } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { fold } from '../../../src/core/evolve.js';
import { plan, type Plan } from '../../../src/core/plan.js';
import { renderPlan } from '../../../src/core/render.js';
import { desiredApp, resolveSpec } from '../../../src/core/spec.js';
import type { State } from '../../../src/core/state.js';
import { envelopes, T0 } from './builders.js';

/** What `renderPlan` says of an empty plan. */
export const NOTHING_TO_DO = 'nothing to do: every app is converged\n';

/** A log starting with these events (seq 1, 2, … at T0 + 1 s, + 2 s, …). */
export function given(...drafts: Draft[]): Given {
  return new Given().and(...drafts);
}

/** A log of recorded envelopes as they are (a captured log: their own seqs and times). */
export function givenLog(events: readonly Envelope[]): Given {
  return new Given(events);
}

export class Given {
  readonly #events: Envelope[];

  constructor(events: readonly Envelope[] = []) {
    this.#events = [...events];
  }

  /** Append events, each one second after the one before. */
  and(...drafts: Draft[]): this {
    for (const d of drafts) this.andAt(this.#events.length === 0 ? T0 + 1000 : this.at() + 1000, d);
    return this;
  }

  /** Append one event at time `at` (ms). */
  andAt(at: number, draft: Draft): this {
    const [e] = envelopes([draft], this.lastSeq + 1);
    this.#events.push({ ...e!, at });
    return this;
  }

  /** The executor's record of a successful create/recreate/rollback of `app` at its current desired spec. */
  created(app: string, id: string, kind: 'create' | 'recreate' | 'rollback' = 'create'): this {
    const state = this.state;
    const r = resolveSpec(desiredApp(state, app)!, state);
    if (!r.ok) throw new Error(`test setup: ${app} not resolvable`);
    return this.and({ type: 'ActionSucceeded', source: 'executor', app, data: { kind, containerId: id, spec: r.spec, specHash: r.hash } });
  }

  /** A health verdict on container `id` of `app` (an unhealthy one after 3 failed probes). */
  health(app: string, id: string, status: 'starting' | 'healthy' | 'unhealthy', detail?: string): this {
    return this.and({ type: 'HealthChanged', source: 'health', app, data: { id, status, failingStreak: status === 'unhealthy' ? 3 : 0, ...(detail ? { detail } : {}) } });
  }

  /** The projection of the log so far. */
  get state(): State {
    return fold(this.#events);
  }

  get lastSeq(): number {
    return this.#events.at(-1)?.seq ?? 0;
  }

  /** The time of event `seq` (the last one by default). */
  at(seq = this.lastSeq): number {
    const e = this.#events.find((x) => x.seq === seq);
    if (!e) throw new Error(`test setup: the log holds no event #${seq}`);
    return e.at;
  }

  /** The planner decides on the log so far, at time `now`. */
  when(now: number): When {
    return new When(plan(this.state, now));
  }
}

export class When {
  constructor(readonly plan: Plan) {}

  /** The plan as people read it. */
  get text(): string {
    return renderPlan(this.plan.actions);
  }

  /** Then the plan is exactly this text. */
  thenPlan(expected: string): void {
    expect(this.text).toBe(expected);
  }

  /** Then there is nothing to do. */
  thenNothingToDo(): void {
    this.thenPlan(NOTHING_TO_DO);
  }
}
