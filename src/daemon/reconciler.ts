// The reconciler: plans from the whole projection, records the decision, then acts. Actions run in
// parallel (bounded) except where one app depends on another acted on in the same plan; each is
// written ahead of its podman call and its outcome after (DESIGN.md §2).
import type { Action, Draft, Envelope } from '../core/events.js';
import { stateHash } from '../core/evolve.js';
import { canonicalJson } from '../core/hash.js';
import { EXECUTABLE, plan } from '../core/plan.js';
import { desiredApp } from '../core/spec.js';
import type { State } from '../core/state.js';
import { dependenciesOf } from '../manifest/schema.js';
import type { Outcome } from '../act/executor.js';
import { ActionError } from '../act/errors.js';
import { coalesced, type Coalesced } from './coalesce.js';

export interface ReconcilerDeps {
  state: () => State;
  append: (drafts: Draft[]) => Promise<Envelope[]>;
  execute: (action: Action, state: State) => Promise<Outcome>;
  clock: () => number;
  newId: () => string;
  /** how many actions may run at once */
  concurrency: number;
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
  #retry: NodeJS.Timeout | undefined;
  #failedRuns = 0;
  #stopped = false;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#loop = coalesced(() => deps.turn(() => this.#attempt()), deps.onError);
  }

  /**
   * A run that fails (the log cannot be written: disk full) is tried again with backoff: nothing new
   * may ever be appended to wake us, yet work is held back. No action runs without its durable record.
   */
  async #attempt(): Promise<void> {
    try {
      await this.#run();
      this.#failedRuns = 0;
    } catch (err) {
      this.#failedRuns += 1;
      const delay = Math.min(1_000 * 2 ** (this.#failedRuns - 1), 30_000);
      clearTimeout(this.#retry);
      if (!this.#stopped) this.#retry = setTimeout(() => this.wake(), delay);
      throw err;
    }
  }

  wake(): void {
    if (!this.#stopped) this.#loop.trigger();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    await this.#loop.idle();
  }

  async #run(): Promise<void> {
    const d = this.#deps;
    if (!d.ready()) return;
    const state = d.state();
    const now = d.clock();
    const decided = plan(state, now);
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
    await d.append(backoffRecords(state, decided.actions, correlation, planSeq));
    await runGraph(decided.actions.filter((a) => EXECUTABLE.has(a.kind)), state, d.concurrency, (a) => this.#act(a, correlation, planSeq));
  }

  async #act(action: Action, correlation: string, planSeq: number | undefined): Promise<void> {
    const d = this.#deps;
    if (this.#stopped) return;
    const [started] = await d.append([{
      type: 'ActionStarted', source: 'reconciler', app: action.app, correlation, ...(planSeq ? { causedBy: planSeq } : {}),
      data: { action },
    }]);
    d.onAction?.(action, 'started');
    const meta = { source: 'executor' as const, app: action.app, correlation, causedBy: started!.seq };
    try {
      if (action.kind === 'rollback') await d.append([rolledBack(d.state(), action, meta)]);
      const outcome = await d.execute(action, d.state());
      const attempt = action.attempt !== undefined && (action.kind === 'start' || action.kind === 'restart') ? { attempt: action.attempt } : {};
      await d.append([{ type: 'ActionSucceeded', ...meta, data: { kind: action.kind, ...outcome, ...attempt } }]);
      d.onAction?.(action, 'succeeded', outcome.detail);
    } catch (err) {
      const code = err instanceof ActionError ? err.code : 'unexpected';
      const message = err instanceof Error ? err.message : String(err);
      await d.append([{ type: 'ActionFailed', ...meta, data: { kind: action.kind, error: { code, message } } }]);
      d.onAction?.(action, 'failed', message);
    }
  }

  #scheduleWake(at: number | undefined, now: number): void {
    clearTimeout(this.#timer);
    if (at === undefined || this.#stopped) return;
    this.#timer = setTimeout(() => this.wake(), Math.max(0, at - now) + 1);
  }
}

/** `BackoffScheduled` for each crash-loop wait not yet recorded: `status` shows it, replay keeps it. */
function backoffRecords(state: State, actions: readonly Action[], correlation: string, planSeq: number | undefined): Draft[] {
  return actions.flatMap((a): Draft[] => {
    if (a.kind !== 'wait' || a.until === undefined || a.attempt === undefined) return [];
    const known = state.backoff[a.app];
    if (known && known.until === a.until && known.attempt === a.attempt) return [];
    const since = state.containers[a.app]?.statusAt ?? state.failures[a.app]?.at ?? a.until;
    return [{
      type: 'BackoffScheduled', source: 'reconciler', app: a.app, correlation, ...(planSeq ? { causedBy: planSeq } : {}),
      data: { attempt: a.attempt, until: a.until, delayMs: a.until - since },
    }];
  });
}

function rolledBack(state: State, action: Action, meta: { source: 'executor'; app: string; correlation: string; causedBy: number }): Draft {
  const app = state.apps[action.app];
  const current = state.containers[action.app];
  const good = state.lastGood[action.app];
  if (!app?.manifestHash || !current?.specHash || !good) throw new ActionError('cannot-roll-back', `cannot roll back ${action.app}: no healthy configuration is known`, false);
  return { type: 'RolledBack', ...meta, data: { fromSpecHash: current.specHash, badManifestHash: app.manifestHash, toSpecHash: good.specHash } };
}

/**
 * Runs actions at most `limit` at a time; an action waits while an action of one of its app's
 * (transitive) dependencies is still pending or running, so a dependent never races its dependency.
 */
export async function runGraph(actions: readonly Action[], state: State, limit: number, act: (a: Action) => Promise<void>): Promise<void> {
  const acting = new Set(actions.map((a) => a.app));
  const deps = (app: string, seen = new Set<string>()): Set<string> => {
    const m = desiredApp(state, app)?.manifest;
    for (const d of m ? dependenciesOf(m) : []) {
      if (seen.has(d.app)) continue;
      seen.add(d.app);
      deps(d.app, seen);
    }
    return seen;
  };
  const blockers = new Map(actions.map((a) => [a, [...deps(a.app)].filter((x) => acting.has(x) && x !== a.app)]));
  const done = new Set<string>();
  const pending = [...actions];
  const running = new Set<Promise<void>>();
  while (pending.length > 0 || running.size > 0) {
    const ready = pending.filter((a) => blockers.get(a)!.every((b) => done.has(b)));
    for (const a of ready.slice(0, Math.max(0, limit - running.size))) {
      pending.splice(pending.indexOf(a), 1);
      const p: Promise<void> = act(a).finally(() => {
        done.add(a.app);
        running.delete(p);
      });
      running.add(p);
    }
    if (running.size === 0) break; // nothing can start: cannot happen with an acyclic catalog, but never spin
    await Promise.race(running);
  }
}
