// Projection snapshots (snap!<seq16> → {foldVersion, stateHash, state}): the daemon starts from the latest
// one it can trust and folds only the events after it. A snapshot is trusted when it was folded by
// today's fold (FOLD_VERSION) and its state still hashes to the hash recorded with it; any other is
// reported and passed over, and the fold then starts earlier (at worst from the beginning).
//
// The snapshot a compaction wrote at its cut is different: the events it folded are gone, so it is the
// only start there is. It is used even when it fails those checks, which is reported as an error.
//
// Their storage (snap!<seq>), and that of the other small records beside the log (meta!<key>), is in
// snapshot-store.ts, which the store loads without the fold this file needs.
import { stateHash } from '../core/evolve.js';
import { FOLD_VERSION, initialState, type State } from '../core/state.js';
import type { EventStore } from './store.js';

export interface SnapshotRecord {
  foldVersion: number;
  stateHash: string;
  state: State;
}

export function snapshotRecord(state: State): SnapshotRecord {
  return { foldVersion: FOLD_VERSION, stateHash: stateHash(state), state };
}

export function encodeSnapshot(state: State): string {
  return JSON.stringify(snapshotRecord(state));
}

/** A stored snapshot checked; `state` is there whenever the record could be read at all. */
export type SnapshotCheck = { ok: true; state: State } | { ok: false; reason: string; state?: State };

export function checkSnapshot(seq: number, raw: string | undefined): SnapshotCheck {
  if (raw === undefined) return { ok: false, reason: 'missing' };
  let rec: Partial<SnapshotRecord>;
  try {
    rec = JSON.parse(raw) as Partial<SnapshotRecord>;
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const state = rec?.state;
  if (typeof state !== 'object' || state === null || typeof state.seq !== 'number') return { ok: false, reason: 'no state in it' };
  if (state.seq !== seq) return { ok: false, reason: `stored at seq ${seq} but its state is at seq ${state.seq}`, state };
  if (rec.foldVersion !== FOLD_VERSION) return { ok: false, reason: `folded by fold version ${String(rec.foldVersion)}, today's is ${FOLD_VERSION}`, state };
  const hash = stateHash(state);
  if (hash !== rec.stateHash) return { ok: false, reason: `its state hashes to ${hash}, not the recorded ${String(rec.stateHash)}`, state };
  return { ok: true, state };
}

/** Store the projection as snap!<state.seq>, keeping the newest `keep`. */
export function writeSnapshot(store: EventStore, state: State, keep = 3): Promise<void> {
  return store.putSnapshot(state.seq, encodeSnapshot(state), keep);
}

/** Where the log's history starts: the state at a compaction's cut, or the empty state at seq 0. */
export async function historyBase(store: EventStore, report: (message: string) => void = () => {}): Promise<{ seq: number; state: State }> {
  const c = store.compaction;
  if (!c) return { seq: 0, state: initialState };
  const check = checkSnapshot(c.through, await store.getSnapshot(c.through));
  if (check.ok) return { seq: c.through, state: check.state };
  if (!check.state) throw new Error(`the snapshot of compaction #${c.through} cannot be read (${check.reason}): the state before the cut is lost`);
  report(`the snapshot of compaction #${c.through} is used although ${check.reason}: the events before the cut are gone, so it cannot be re-folded`);
  return { seq: c.through, state: check.state };
}
