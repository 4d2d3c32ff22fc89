// The fold: `evolve(state, event)`. The one definition of what an event means, used by the live
// daemon and by offline replay alike. Pure: no I/O, no clock; time comes from `event.at`.
import { produce, type Draft as Mutable } from 'immer';
import type { Envelope } from './events.js';
import { hashOf } from './hash.js';
import { MEANING } from './meaning.js';
import { initialState, type AppState, type ContainerState, type State } from './state.js';

/** How long a container must run to count as stable: its crash-loop backoff then starts over. */
export { STABLE_RUN_MS } from './meaning.js';

export function evolve(state: State, event: Envelope): State {
  return produce(state, (s) => {
    apply(draftWriter(s), event);
    s.seq = event.seq;
  });
}

/**
 * Fold a chunk of events: the same state as `evolve` one event at a time, byte for byte and as deeply
 * frozen, built on a copy-on-write working copy instead of an immer draft per event. The root, each
 * map of the state and each app or container `apply` changes is copied the first time it is written
 * in the chunk (nothing shared with `state` is ever written); what the chunk did not touch stays
 * shared; what it made new is frozen at the end. For offline folds of many events; events at or below
 * `state.seq` are the caller's to leave out.
 */
export function foldChunk(state: State, events: readonly Envelope[]): State {
  if (events.length === 0) return state;
  const w = new CopyOnWrite(state);
  for (const e of events) {
    apply(w, e);
    w.s.seq = e.seq;
  }
  return deepFreeze(w.s);
}

/** How many events `fold` (and the offline readers) fold per `foldChunk`. */
export const FOLD_CHUNK = 5000;

/**
 * The one chunked fold loop: events are pushed one at a time and folded FOLD_CHUNK at a time, each
 * chunk as `foldChunk` folds it; `flush` ends the chunk now (a cut, or the end) and returns the state.
 * A pushed event is applied to the chunk's working copy at once, not held until the chunk ends: a
 * reader's events then die young, where 5,000 held ones were copied by every scavenge and promoted
 * (GC was a tenth of `replay --log`, docs/benchmarks.md).
 */
export class ChunkedFold {
  #state: State;
  /** the working copy of the chunk being folded, from its first event to its flush */
  #chunk: CopyOnWrite | undefined;
  #pending = 0;

  constructor(from: State, private readonly onChunk?: (state: State, folded: number) => void) {
    this.#state = from;
  }

  push(e: Envelope): void {
    const w = (this.#chunk ??= new CopyOnWrite(this.#state));
    apply(w, e);
    w.s.seq = e.seq;
    if (++this.#pending >= FOLD_CHUNK) this.flush();
  }

  flush(): State {
    if (!this.#chunk) return this.#state;
    this.#state = deepFreeze(this.#chunk.s);
    this.#chunk = undefined;
    const folded = this.#pending;
    this.#pending = 0;
    this.onChunk?.(this.#state, folded);
    return this.#state;
  }
}

export function fold(events: Iterable<Envelope>, from: State = initialState): State {
  const folding = new ChunkedFold(from);
  for (const e of events) folding.push(e);
  return folding.flush();
}

type MapKey = 'facts' | 'secrets' | 'apps' | 'containers' | 'gone' | 'failures' | 'restarts' | 'backoff' | 'lastGood' | 'pinned' | 'unmanaged';
type Entries = Record<string, unknown>;

/**
 * What `apply` writes through: the root (its scalars and `lastPlan`), a map of the state to set or
 * delete entries in, and an app or a container to change in place. Reads go to `s` directly.
 */
export interface Writer {
  readonly s: Mutable<State>;
  map<K extends MapKey>(k: K): Mutable<State[K]>;
  del(k: MapKey, key: string): void;
  app(id: string): Mutable<AppState> | undefined;
  container(app: string): Mutable<ContainerState> | undefined;
}

/** Writing through an immer draft: the draft does the copying. */
function draftWriter(s: Mutable<State>): Writer {
  return {
    s,
    map: <K extends MapKey>(k: K) => s[k] as Mutable<State[K]>,
    del: (k, key) => { delete (s[k] as Entries)[key]; },
    app: (id) => s.apps[id],
    container: (app) => s.containers[app],
  };
}

/** Copy-on-write over a frozen state: an object is copied the first time it is written, once. */
class CopyOnWrite implements Writer {
  readonly s: Mutable<State>;
  readonly #own = new Set<object>();
  readonly #root: Record<MapKey, Entries>;

  constructor(base: State) {
    this.s = { ...base } as Mutable<State>;
    this.#root = this.s as unknown as Record<MapKey, Entries>;
  }

  map<K extends MapKey>(k: K): Mutable<State[K]> {
    return this.#map(k) as Mutable<State[K]>;
  }

  #map(k: MapKey): Entries {
    const m = this.#root[k];
    if (this.#own.has(m)) return m;
    const copy = { ...m };
    this.#own.add(copy);
    this.#root[k] = copy;
    return copy;
  }

  del(k: MapKey, key: string): void {
    if (Object.hasOwn(this.#root[k], key)) delete this.#map(k)[key];
  }

  app(id: string): Mutable<AppState> | undefined {
    return this.#entry('apps', id) as Mutable<AppState> | undefined;
  }

  container(app: string): Mutable<ContainerState> | undefined {
    return this.#entry('containers', app) as Mutable<ContainerState> | undefined;
  }

  #entry(k: 'apps' | 'containers', id: string): object | undefined {
    const v = this.#root[k][id] as object | undefined;
    if (v === undefined || this.#own.has(v)) return v;
    const copy = { ...v };
    this.#own.add(copy);
    this.#map(k)[id] = copy;
    return copy;
  }
}

/** Freeze what is not frozen yet, deeply; a frozen object's contents are frozen already. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const k in value) deepFreeze((value as Entries)[k]);
  return value;
}

/** A stable fingerprint of a projection: equal logs give equal hashes on every machine. */
export function stateHash(state: State): string {
  return hashOf(state);
}

function apply(w: Writer, e: Envelope): void {
  (MEANING[e.type] as (w: Writer, e: Envelope) => void)(w, e);
}

