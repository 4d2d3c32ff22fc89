// What the web UI reads, whoever serves it: a running daemon (its store and live projection) or a
// captured log opened read-only (an export, or a stopped node's data). Reads go through the log's
// indexes and seq ranges; only the "whole log" questions (boots of an export, state at a point of
// an export) read everything, and an export is read once and kept.
import type { Envelope } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { stateAt } from '../core/replay.js';
import { initialState, type State } from '../core/state.js';
import type { DaemonAbout } from '../daemon/control.js';
import { collect, foldItems, loadState } from '../log/fold.js';
import type { EventLookup, ReadItem } from '../log/reader.js';
import { checkSnapshot, historyBase } from '../log/snapshots.js';
import { EventStore } from '../log/store.js';

export interface BootSpan { boot: number; first: number; last: number }

/** The node's status line: a live daemon says how podman answers; a captured log says where it comes from. */
export type NodeLine =
  | { live: true; pid: number; boot: number; startedAt: number; podman: DaemonAbout['podman']; seq: number }
  | { live: false; origin: string; seq: number };

export interface WebSource {
  readonly live: boolean;
  readonly lookup: EventLookup;
  lastSeq(): Promise<number>;
  boots(): Promise<BootSpan[]>;
  /** the state now: the daemon's projection, or the whole captured log folded */
  state(): Promise<State>;
  /** the state after event `seq` */
  stateAt(seq: number): Promise<State>;
  node(): Promise<NodeLine>;
  /** live only: events as they are appended; returns the unsubscribe */
  subscribe?(on: (events: Envelope[]) => void): () => void;
}

/** A captured log as the cli opens it (src/cli/source.ts LogSource): read-only. */
export interface OpenedLog {
  /** the whole log a batch at a time (an async step per batch, not per event) */
  batches: AsyncIterable<readonly ReadItem[]>;
  lookup: EventLookup;
  origin: string;
  base?: { seq: number; state: State };
}

const ignoreCorrupt = () => {};

/** A log opened read-only. A store is read through its indexes and snapshots; anything else once, whole. */
export function readOnlySource(log: OpenedLog): WebSource {
  if (log.lookup instanceof EventStore) return storeSource(log.lookup, log.origin);
  let whole: Promise<{ events: Envelope[]; base: State; now: State }> | undefined;
  const load = () => (whole ??= collect(log.batches, ignoreCorrupt).then((events) => {
    const base = log.base?.state ?? initialState;
    return { events, base, now: fold(events.filter((e) => e.seq > base.seq), base) };
  }));
  return {
    live: false,
    lookup: log.lookup,
    lastSeq: async () => (await load()).events.at(-1)?.seq ?? 0,
    boots: async () => bootsOf((await load()).events),
    state: async () => (await load()).now,
    stateAt: async (seq) => {
      const { events, base } = await load();
      return stateAt(events, seq, base);
    },
    node: async () => ({ live: false, origin: log.origin, seq: (await load()).now.seq }),
  };
}

function bootsOf(events: readonly Envelope[]): BootSpan[] {
  const spans = new Map<number, BootSpan>();
  for (const e of events) {
    const s = spans.get(e.boot);
    if (s) s.last = e.seq;
    else spans.set(e.boot, { boot: e.boot, first: e.seq, last: e.seq });
  }
  return [...spans.values()];
}

function storeSource(store: EventStore, origin: string): WebSource {
  let now: Promise<State> | undefined;
  return {
    live: false,
    lookup: store,
    lastSeq: async () => store.lastSeq,
    boots: () => storeBoots(store),
    state: () => (now ??= loadState(store, { onCorrupt: ignoreCorrupt }).then((l) => l.state)),
    stateAt: (seq) => storeStateAt(store, seq),
    node: async () => ({ live: false, origin, seq: store.lastSeq }),
  };
}

async function storeBoots(store: EventStore): Promise<BootSpan[]> {
  return (await store.boots()).map(({ boot, first, last }) => ({ boot, first, last }));
}

/** The state after `seq`: from the newest good snapshot at or before it (else the cut, else empty), folded forward. */
async function storeStateAt(store: EventStore, seq: number): Promise<State> {
  let start = await historyBase(store);
  for (const s of await store.snapshotSeqs()) {
    if (s > seq || s <= start.seq) continue;
    const check = checkSnapshot(s, await store.getSnapshot(s));
    if (check.ok) {
      start = { seq: s, state: check.state };
      break;
    }
  }
  return foldItems(store.readBatches({ since: start.seq, until: seq }), ignoreCorrupt, seq, start.state);
}

/** What a running daemon hands the web routes (src/daemon/daemon.ts `web` option). */
export interface LiveDaemon {
  store: EventStore;
  state(): State;
  about(): DaemonAbout;
}

export function liveSource(d: LiveDaemon): WebSource {
  const { store } = d;
  return {
    live: true,
    lookup: store,
    lastSeq: async () => store.lastSeq,
    boots: () => storeBoots(store),
    state: async () => d.state(),
    stateAt: (seq) => storeStateAt(store, seq),
    node: async () => ({ live: true, pid: process.pid, boot: store.boot, startedAt: d.about().startedAt, podman: d.about().podman, seq: store.lastSeq }),
    subscribe(on) {
      store.on('appended', on);
      return () => void store.off('appended', on);
    },
  };
}
