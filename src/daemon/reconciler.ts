// The reconciler: plans from the whole projection, records the decision, then acts. Actions run in
// parallel (bounded) except where one app depends on another acted on in the same plan; each is
// written ahead of its podman call and its outcome after (docs/architecture.md, "Reconciler").
import type { Action, Draft, Envelope, EventData } from '../core/events.js';
import { stateHash } from '../core/evolve.js';
import { EXECUTABLE } from '../core/action-kinds.js';
import { doubling } from '../core/backoff.js';
import { decide, isNews, rollbackRecord, waitsOn } from '../core/decide.js';
import type { State } from '../core/state.js';
import type { Outcome } from '../act/executor.js';
import { ActionError } from '../act/errors.js';
import { Coalescer, type Triggers } from './coalesce.js';

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
  /** a decision was taken, and recorded if it was news: readiness waits for the first, metrics time each (`seconds`: how long `decide` took) */
  onDecided?: (decision: { actions: number; planSeq: number | undefined; seconds: number }) => void;
}

/** What a record cites: a seq, or the plan written in the same call (its first draft). */
type Cause = { causedBy?: number; causedByDraft?: number };

/** An action waiting for a free slot or for an action of one of its app's dependencies to finish. */
interface Queued { action: Action; correlation: string; planSeq: number | undefined; dependsOn: readonly string[] }

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failedRuns = 0;
  #stopped = false;
  /**
   * Wakes, coalesced: a trigger means a plan is wanted (something was appended, or a timer fired,
   * since the last plan began); the runner is the session holding the podman turn, while there is
   * planning to do or an action in flight.
   */
  readonly #wakes: Coalescer;
  /** actions of the latest plan not started yet, in plan (dependency) order */
  #queue: Queued[] = [];
  /** apps with an action in flight, whichever plan it came from */
  readonly #running = new Map<string, { kind: Action['kind']; since: number }>();
  /** apps whose action under the last recorded plan has been started since it was recorded */
  readonly #startedUnderLastPlan = new Set<string>();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#wakes = new Coalescer((triggers) => deps.turn(() => this.#serve(triggers)), deps.onError);
  }

  /**
   * Plans run one at a time, yet a plan does not wait for the actions of the one before to finish:
   * a dependent waiting on `healthy` is planned and started as soon as its dependency's verdict is
   * appended, while slower actions of an earlier plan are still in flight. The podman turn is held
   * from the first plan until nothing is planned or in flight, so the inventory never reads podman
   * halfway through an action.
   */
  wake(): void {
    // A wake after stop() is ignored; one after the session decided to end starts a new session.
    this.#wakes.trigger();
  }

  /** An action finished: the session looks again whether any is still in flight (no plan is wanted). */
  #notify(): void {
    this.#wakes.rouse();
  }

  async #serve(wakes: Triggers): Promise<void> {
    for (;;) {
      if (wakes.take()) await this.#attempt();
      // Nothing in flight: give the turn back, so the inventory is never starved by a stream of wakes
      // (the Coalescer starts the next session, behind whoever waits for the turn, if one is wanted).
      if (this.#running.size === 0) return;
      // A wake that came while that plan was being taken found no one waiting for it: plan again now,
      // not when some action in flight happens to finish (which may take as long as a podman call).
      if (wakes.pending()) continue;
      await wakes.next();
    }
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
      this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    this.#failedRuns += 1;
    const delay = doubling(this.#failedRuns - 1, 1_000, 30_000);
    clearTimeout(this.#retry);
    if (!this.#stopped) this.#retry = setTimeout(() => this.wake(), delay);
    this.#deps.onError(err);
  }

  /** The actions in flight now, oldest first: what a slow stop is waiting for. */
  inFlight(): { app: string; kind: Action['kind']; since: number }[] {
    return [...this.#running].map(([app, r]) => ({ app, kind: r.kind, since: r.since })).sort((a, b) => a.since - b.since);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    this.#queue = [];
    // A wake not planned yet is dropped, not planned; the session waits for its actions in flight.
    await this.#wakes.close();
  }

  async #run(): Promise<void> {
    const d = this.#deps;
    if (!d.ready()) return;
    const state = d.state();
    const now = d.clock();
    // What an earlier plan left queued is superseded by this one, and nothing starts while it is
    // recorded. An app in flight now is left to its action even if that finishes meanwhile: the
    // decision was taken without its outcome (whose record wakes us to decide again).
    this.#queue = [];
    const inFlight = [...this.#running.keys()].sort();
    const began = performance.now();
    const decided = decide(state, now, new Set(inFlight));
    const seconds = (performance.now() - began) / 1000;
    this.#scheduleWake(decided.wakeAt, now);
    const { actions } = decided;

    const correlation = d.newId();
    // Only news is recorded: an idle node, or one working through its last plan, adds nothing.
    const news = isNews(state.lastPlan, actions, this.#startedUnderLastPlan, now);
    const busy = new Set(this.#running.keys());
    const queue: Queued[] = actions
      .filter((a) => EXECUTABLE.has(a.kind) && !waitsOn(a, decided.dependsOn, busy))
      .map((action) => ({ action, correlation, planSeq: undefined, dependsOn: decided.dependsOn[action.app] ?? [] }));
    // The actions that can start at once are written ahead in the plan's own durable write: a
    // dependent gated on a verdict starts one fsync after it, not two.
    const starting = this.#stopped ? [] : this.#take(queue);
    const lastPlanSeq = state.lastPlan?.seq;
    const byPlan: Cause = news ? { causedByDraft: 0 } : lastPlanSeq ? { causedBy: lastPlanSeq } : {};
    let recorded: Envelope[];
    try {
      recorded = await d.append([
        ...(news ? [{
          type: 'PlanDecided', source: 'reconciler', correlation, ...(state.seq > 0 ? { causedBy: state.seq } : {}),
          data: { atSeq: state.seq, stateHash: stateHash(state), plannedAt: now, actions, ...(inFlight.length > 0 ? { inFlight } : {}) },
        } satisfies Draft] : []),
        ...decided.backoff.map(({ app, data }): Draft => ({ type: 'BackoffScheduled', source: 'reconciler', app, correlation, ...byPlan, data })),
        ...starting.map((q) => startedDraft(q.action, correlation, byPlan)),
      ]);
    } catch (err) {
      for (const q of starting) this.#running.delete(q.action.app); // never started: nothing was written
      throw err;
    }
    const planSeq = news ? recorded[0]!.seq : state.lastPlan?.seq;
    if (news) this.#startedUnderLastPlan.clear();
    this.#queue = queue.map((q) => ({ ...q, planSeq }));
    d.onDecided?.({ actions: actions.length, planSeq, seconds });
    const startedRecords = recorded.slice(recorded.length - starting.length);
    starting.forEach((q, i) => {
      this.#startedUnderLastPlan.add(q.action.app);
      this.#launch(q.action, correlation, () => Promise.resolve(startedRecords[i]));
    });
    this.#dispatch();
  }

  /**
   * Takes from `queue` the actions that may start now, marked in flight: at most `concurrency` in
   * flight; an action waits while an action of one of its app's (transitive) dependencies is in
   * flight or queued ahead of it, so a dependent never races its dependency.
   */
  #take(queue: Queued[]): Queued[] {
    const busy = new Set(this.#running.keys());
    const ahead = new Set<string>();
    const taken: Queued[] = [];
    for (const q of [...queue]) {
      if (this.#running.size >= this.#deps.concurrency) break;
      const app = q.action.app;
      const blocked = busy.has(app) || q.dependsOn.some((x) => x !== app && (busy.has(x) || ahead.has(x)));
      ahead.add(app);
      if (blocked) continue;
      queue.splice(queue.indexOf(q), 1);
      busy.add(app);
      this.#running.set(app, { kind: q.action.kind, since: this.#deps.clock() });
      taken.push(q);
    }
    return taken;
  }

  /** Starts what the latest plan left queued and may start now, each written ahead on its own. */
  #dispatch(): void {
    if (this.#stopped) return;
    for (const q of this.#take(this.#queue)) {
      this.#startedUnderLastPlan.add(q.action.app); // every queued action is of the latest plan: #run clears the queue
      this.#launch(q.action, q.correlation, async () => {
        if (this.#stopped) return undefined;
        const [started] = await this.#deps.append([startedDraft(q.action, q.correlation, q.planSeq ? { causedBy: q.planSeq } : {})]);
        return started;
      });
    }
  }

  /** Runs an action in flight (marked by #take) once its ActionStarted is durable (`started`); then frees its app. */
  #launch(action: Action, correlation: string, started: () => Promise<Envelope | undefined>): void {
    const app = action.app;
    void this.#act(action, correlation, started)
      .catch((err: unknown) => this.#failed(err))
      .finally(() => {
        this.#running.delete(app);
        this.#dispatch();
        this.#notify();
      });
  }

  async #act(action: Action, correlation: string, writeAhead: () => Promise<Envelope | undefined>): Promise<void> {
    const d = this.#deps;
    const started = await writeAhead();
    if (!started) return; // stopped before it was written: never started
    d.onAction?.(action, 'started');
    const meta = { source: 'executor' as const, app: action.app, correlation, causedBy: started.seq };
    try {
      if (action.kind === 'rollback') {
        const record = rollbackRecord(d.state(), action.app);
        if (!record.ok) throw new ActionError('cannot-roll-back', record.message);
        await d.append([{ type: 'RolledBack', ...meta, data: record.data }]);
      }
      const outcome = await d.execute(action, d.state());
      const attempt = action.attempt !== undefined && (action.kind === 'start' || action.kind === 'restart') ? { attempt: action.attempt } : {};
      await d.append([{ type: 'ActionSucceeded', ...meta, data: succeeded(action.kind, { ...outcome, ...attempt }) }]);
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

/** The write-ahead record of an action: written before podman is called. */
function startedDraft(action: Action, correlation: string, cause: Cause): Draft {
  return { type: 'ActionStarted', source: 'reconciler', app: action.app, correlation, ...cause, data: { action } };
}

/**
 * An ActionSucceeded's data with its keys in the schema's order, as the log stores it: the exact
 * check then vouches for it (core/events.ts checkDraft), not zod.
 */
function succeeded(kind: Action['kind'], o: Outcome & { attempt?: number }): EventData<'ActionSucceeded'> {
  const data: EventData<'ActionSucceeded'> = { kind };
  if (o.containerId !== undefined) data.containerId = o.containerId;
  if (o.specHash !== undefined) data.specHash = o.specHash;
  if (o.spec !== undefined) data.spec = o.spec;
  if (o.detail !== undefined) data.detail = o.detail;
  if (o.startedAt !== undefined) data.startedAt = o.startedAt;
  if (o.attempt !== undefined) data.attempt = o.attempt;
  return data;
}
