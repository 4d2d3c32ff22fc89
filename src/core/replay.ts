// Replay: the state at any point of a log, and a check that today's planner makes every recorded
// decision again — like Temporal's replayer, this is how a planner change is tested against history.
import type { Action, Envelope, EnvelopeOf } from './events.js';
import { fold, foldChunk, stateHash } from './evolve.js';
import { canonicalJson } from './hash.js';
import { decide, type Planner } from './decide.js';
import { plan } from './plan.js';
import { HASH_VERSION } from './spec.js';
import type { Point } from './points.js';
import { FOLD_VERSION, initialState, type State } from './state.js';

export type { Point } from './points.js';

export interface Divergence {
  /** the recorded PlanDecided */
  seq: number;
  /** the projection it was planned from */
  atSeq: number;
  plannedAt: number;
  recorded: { stateHash: string; actions: Action[] };
  replayed: { stateHash: string; actions: Action[] };
  /** what differs: the state the decision saw, or only the decision */
  kind: 'state' | 'plan';
  /** the decision's boot was written by another fold or hash version: its state hash was not compared */
  versions?: BootVersions;
  state: State;
}

export type { Planner } from './decide.js';

export interface CheckResult {
  checked: number;
  /** decisions made before a compaction's cut: their state is gone, so they cannot be re-planned */
  skipped: number;
  /**
   * boots written by another fold or spec-hash version than today's: their decisions were compared
   * as plans only, since the state hash they recorded was computed another way (absent when none)
   */
  otherVersions?: BootVersions[];
  divergence?: Divergence;
}

/** The versions a boot recorded in its `BootStarted`, against today's. */
export interface BootVersions { boot: number; foldVersion: number; hashVersion: number }

export const TODAY: Omit<BootVersions, 'boot'> = { foldVersion: FOLD_VERSION, hashVersion: HASH_VERSION };

/**
 * Re-plan every recorded decision from the state it was made on. Stops at the first divergence.
 * Events must be in seq order (as every log source yields them).
 */
export function checkDecisions(events: readonly Envelope[], planner: Planner = plan, base: State = initialState): CheckResult {
  // A compacted log starts from the state at its cut: decisions made before it cannot be re-planned.
  const tail = events.filter((e) => e.seq > base.seq);
  let state = base;
  let next = 0; // index of the first event of `tail` not folded into `state`
  let checked = 0;
  let skipped = 0;
  const other = new Map<number, BootVersions>();
  for (const d of events) {
    if (d.type !== 'BootStarted') continue;
    const { foldVersion, hashVersion } = d.data;
    if (foldVersion !== TODAY.foldVersion || hashVersion !== TODAY.hashVersion) other.set(d.boot, { boot: d.boot, foldVersion, hashVersion });
  }
  const versions = other.size > 0 ? { otherVersions: [...other.values()] } : {};
  for (const d of tail) {
    if (d.type !== 'PlanDecided') continue;
    if (d.data.atSeq < base.seq) { skipped += 1; continue; }
    if (d.data.atSeq < state.seq) {
      state = base; // decisions out of order: fold again from the start
      next = 0;
    }
    const from = next;
    while (next < tail.length && tail[next]!.seq <= d.data.atSeq) next++;
    state = foldChunk(state, tail.slice(from, next));
    const divergence = compare(d, state, planner, other.get(d.boot));
    if (divergence) return { checked, skipped, ...versions, divergence };
    checked += 1;
  }
  return { checked, skipped, ...versions };
}

/**
 * `versions`: set when the decision's boot was written by another fold or spec-hash version than
 * today's. Its state hash is not compared (another fold computed it), nor are the spec hashes its
 * actions name under another hash version, nor when a crash restart was due (that version's backoff):
 * what is compared is what was decided for each app, and why.
 */
function compare(d: EnvelopeOf<'PlanDecided'>, state: State, planner: Planner, versions: BootVersions | undefined): Divergence | undefined {
  const hash = stateHash(state);
  // the decider's inputs as recorded; a log older than `inFlight` names what it left out instead
  const deferred = new Set(d.data.deferred ?? []);
  const actions = decide(state, d.data.plannedAt, new Set(d.data.inFlight ?? []), planner).actions.filter((a) => !deferred.has(a.app));
  const sameState = versions !== undefined || hash === d.data.stateHash;
  const comparable = versions ? (a: readonly Action[]) => asOtherVersion(a, versions) : (a: readonly Action[]) => a;
  const samePlan = canonicalJson(comparable(actions)) === canonicalJson(comparable(d.data.actions));
  if (sameState && samePlan) return undefined;
  return {
    seq: d.seq, atSeq: d.data.atSeq, plannedAt: d.data.plannedAt,
    recorded: { stateHash: d.data.stateHash, actions: d.data.actions },
    replayed: { stateHash: hash, actions },
    kind: sameState ? 'plan' : 'state',
    ...(versions ? { versions } : {}),
    state,
  };
}

/**
 * An action as another version's decision is compared: a crash restart is one decision whether it
 * waits first or not (so `wait` reads as the start or restart it announces, without until or
 * attempt), and under another hash version the spec hashes it names are blanked.
 */
function asOtherVersion(actions: readonly Action[], versions: BootVersions): unknown[] {
  const blank = versions.hashVersion !== TODAY.hashVersion;
  const hidden = (v: unknown) => (blank && typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? '(spec hash)' : v);
  return actions.map(({ until: _until, attempt: _attempt, ...a }) => ({
    ...a,
    kind: a.kind === 'wait' && a.reasons.some((r) => r.code === 'container-exited') ? 'start' : a.kind === 'wait' && a.reasons.some((r) => r.code === 'unhealthy') ? 'restart' : a.kind,
    ...(a.specHash !== undefined ? { specHash: hidden(a.specHash) } : {}),
    reasons: a.reasons.map((r) => ({ ...r, ...('from' in r ? { from: hidden(r.from) } : {}), ...('to' in r ? { to: hidden(r.to) } : {}) })),
  }));
}

/** The seq a point names in this log (0 before the first event). */
export function seqAt(events: readonly Envelope[], point: Point): number {
  let seq = 0;
  for (const e of events) {
    if ('seq' in point ? e.seq > point.seq : 'boot' in point ? e.boot > point.boot : e.at > point.at) break;
    seq = e.seq;
  }
  return seq;
}

/** The state after event `seq`, folded from `base` (the empty state, or a compacted log's cut). */
export function stateAt(events: readonly Envelope[], seq: number, base: State = initialState): State {
  const upTo: Envelope[] = [];
  for (const e of events) {
    if (e.seq > seq) break;
    if (e.seq > base.seq) upTo.push(e);
  }
  return fold(upTo, base);
}
