// The reconciler: plans from the whole projection, records the decision, then acts, one action at a
// time, each written ahead of its podman call and its outcome after (DESIGN.md §2).
import type { Action, Draft, Envelope } from '../core/events.js';
import { stateHash } from '../core/evolve.js';
import { canonicalJson } from '../core/hash.js';
import { EXECUTABLE, plan, type PlanOptions } from '../core/plan.js';
import type { State } from '../core/state.js';
import type { Outcome } from '../act/executor.js';
import { ActionError } from '../act/errors.js';
import { coalesced, type Coalesced } from './coalesce.js';

export interface ReconcilerDeps {
  state: () => State;
  append: (drafts: Draft[]) => Promise<Envelope[]>;
  execute: (action: Action, state: State) => Promise<Outcome>;
  clock: () => number;
  newId: () => string;
  options: PlanOptions;
  onError: (err: unknown) => void;
  /** false while podman is unreachable: plans would only fail; the daemon wakes us when it is back */
  ready: () => boolean;
  /** serialises runs with other users of podman */
  turn: <T>(task: () => Promise<T>) => Promise<T>;
  onAction?: (action: Action, outcome: 'started' | 'succeeded' | 'failed', detail?: string) => void;
}

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #loop: Coalesced;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#loop = coalesced(() => deps.turn(() => this.#run()), deps.onError);
  }

  wake(): void {
    if (!this.#stopped) this.#loop.trigger();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop.idle();
  }

  async #run(): Promise<void> {
    const d = this.#deps;
    if (!d.ready()) return;
    const state = d.state();
    const now = d.clock();
    const decided = plan(state, now, d.options);
    this.#scheduleWake(decided.wakeAt, now);

    const correlation = d.newId();
    let planSeq = state.lastPlan?.seq;
    // A plan equal to the last recorded one is not recorded again: an idle or waiting node adds nothing.
    if (canonicalJson(decided.actions) !== canonicalJson(state.lastPlan?.actions ?? [])) {
      const [recorded] = await d.append([{
        type: 'PlanDecided', source: 'reconciler', correlation, ...(state.seq > 0 ? { causedBy: state.seq } : {}),
        data: { atSeq: state.seq, stateHash: stateHash(state), plannedAt: now, actions: decided.actions },
      }]);
      planSeq = recorded?.seq;
    }
    for (const action of decided.actions) {
      if (this.#stopped || !EXECUTABLE.has(action.kind)) continue;
      const [started] = await d.append([{
        type: 'ActionStarted', source: 'reconciler', app: action.app, correlation, ...(planSeq ? { causedBy: planSeq } : {}),
        data: { action },
      }]);
      d.onAction?.(action, 'started');
      const meta = { source: 'executor' as const, app: action.app, correlation, causedBy: started!.seq };
      try {
        const outcome = await d.execute(action, d.state());
        await d.append([{ type: 'ActionSucceeded', ...meta, data: { kind: action.kind, ...outcome } }]);
        d.onAction?.(action, 'succeeded', outcome.detail);
      } catch (err) {
        const code = err instanceof ActionError ? err.code : 'unexpected';
        const message = err instanceof Error ? err.message : String(err);
        await d.append([{ type: 'ActionFailed', ...meta, data: { kind: action.kind, error: { code, message } } }]);
        d.onAction?.(action, 'failed', message);
      }
    }
  }

  #scheduleWake(at: number | undefined, now: number): void {
    clearTimeout(this.#timer);
    if (at === undefined || this.#stopped) return;
    this.#timer = setTimeout(() => this.wake(), Math.max(0, at - now) + 5);
  }
}
