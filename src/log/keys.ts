// The event log's key layout in LevelDB: every key format and prefix is made here, and only here.
//
// Sublevels; on disk a sublevel `log` prefixes its keys with `!log!`:
//   log!<seq16>                   → envelope JSON
//   ix-app!<app>!<seq16>          → envelope JSON, the same bytes as log!<seq16> (events of one app)
//   ix-corr!<correlation>!<seq16> → ''    (events of one reconcile run)
//   ix-type!<type>!<seq16>        → envelope JSON, as ix-app (events of the few types in INDEXED_TYPES, which carry no app)
//   boots!<n16>                   → {first, last, version}
//   snap!<seq16>                  → projection snapshot JSON {foldVersion, stateHash, state} (see snapshots.ts)
//   meta!<key>                    → small JSON value (see META)
//   why!e!<app>!<seq16>           → `why --all`'s entry for the app's action at seq, once final (why-view.ts)
//   why!h!<app>                   → how far those entries go: {through, compaction, version} (why-view.ts)
// A log entry and its index entries are written in one batch.
//
// ix-app and ix-type are covering indexes: their value is a copy of the record, so reading an app
// (`why APP --all`, the web timeline) or the host facts before a change is one range read instead of
// a point lookup per event (×0.044 of a raw range read before; docs/benchmarks.md, issue 15). ix-corr
// stays keys only: nothing reads a run's events in bulk, and it would copy nearly every record again. The copy is written, rewritten and deleted only with its record
// (`recordOps`, an index rebuild, compaction), in the same batch. Reads through ix-app read the copy
// only; whole reads, replay, `replay --check`, export and compaction read log!, so a record and its copy
// damaged differently show up differently there (docs/architecture.md, "The app index holds copies").
// An entry with an empty value (INDEXES version 2, never written now) is read through to log!.
//
// Values are stored as utf8 and parsed per record by the reader, not with `valueEncoding: 'json'`: with
// the json encoding one corrupt record makes `nextv` throw and the iterator then ends, so every later
// record would silently disappear from a read.
import type { Level } from 'level';
import type { AbstractSublevel } from 'abstract-level';
import type { Envelope, EventType } from '../core/events.js';

export type Sub = AbstractSublevel<Level<string, string>, string | Buffer | Uint8Array, string, string>;
export type Subs = { log: Sub; ixApp: Sub; ixCorr: Sub; ixType: Sub; boots: Sub; snap: Sub; meta: Sub; why: Sub };
export type BatchOp = { type: 'put'; sublevel: Sub; key: string; value: string } | { type: 'del'; sublevel: Sub; key: string };

/** One daemon run's part of the log: seqs first..last (boot 0 = events appended before any beginBoot). */
export type BootRecord = { boot: number; first: number; last: number; version: string };

/** Types with an `ix-type` index: events without an app that `why` must find by position. */
export const INDEXED_TYPES = ['HostFactsObserved'] as const satisfies readonly EventType[];
export type IndexedType = (typeof INDEXED_TYPES)[number];
const TYPE_SET: ReadonlySet<string> = new Set(INDEXED_TYPES);
export const isIndexedType = (type: unknown): boolean => typeof type === 'string' && TYPE_SET.has(type);

/** The keys under meta! */
export const META = {
  /** which indexes the log has: INDEXES when they are complete */
  indexes: 'indexes',
  /** what `compact` removed (see compaction.ts) */
  compaction: 'compaction',
  /** the id of the node key this log was written with (see node-identity.ts) */
  node: 'node',
} as const;

/** meta!indexes of a store whose indexes are complete; any other value (or none) rebuilds them at open */
export const INDEXES = JSON.stringify({ version: 3, families: ['ix-app', 'ix-corr', 'ix-type'], covering: ['ix-app', 'ix-type'], types: INDEXED_TYPES });

/** Every key of every sublevel lies in this range (each starts with '!'). */
export const ALL_KEYS = { start: '!', end: '~' } as const;

// Reading the layout: classic-level option the abstract-level types lack (sublevels pass it through):
// with the default 16 KiB, nextv(1000) returns ~50 records of 300 bytes per call.
export const HWM = { highWaterMarkBytes: 4 << 20 };
export const READ_CHUNK = 1000;

/** The 16-digit key of a seq (log!, snap!, index suffixes) or a boot number (boots!). */
export const pad = (n: number): string => String(n).padStart(16, '0');

export function openSubs(db: Level<string, string>): Subs {
  const level = (name: string): Sub => db.sublevel<string, string>(name, { valueEncoding: 'utf8' });
  return {
    log: level('log'), ixApp: level('ix-app'), ixCorr: level('ix-corr'), ixType: level('ix-type'),
    boots: level('boots'), snap: level('snap'), meta: level('meta'), why: level('why'),
  };
}

/** The key range of `name`'s entries in an index, for seqs in (since, until]. */
export const indexRange = (name: string, since: number, until: number): { gt: string; lte: string } => ({ gt: `${name}!${pad(since)}`, lte: `${name}!${pad(until)}` });

/** The seq key (log!) an index entry of `name` points at. */
export const indexedSeqKey = (name: string, key: string): string => key.slice(name.length + 1);

/** A record and its index entries. */
export function recordOps(sub: Subs, env: Envelope, json = JSON.stringify(env)): BatchOp[] {
  return [{ type: 'put', sublevel: sub.log, key: pad(env.seq), value: json }, ...indexOps(sub, 'put', env, json)];
}

/**
 * The index entries of one record: what `recordOps` writes, an index rebuild rewrites and compaction
 * deletes. `json` is the record as stored in log!, which ix-app holds a copy of (puts need it).
 */
export function indexOps(sub: Subs, type: 'put' | 'del', e: { seq: number; app?: unknown; correlation?: unknown; type?: unknown }, json = ''): BatchOp[] {
  const ops: BatchOp[] = [];
  const at = (sublevel: Sub, name: string, value = ''): void => {
    const key = `${name}!${pad(e.seq)}`;
    ops.push(type === 'put' ? { type, sublevel, key, value } : { type, sublevel, key });
  };
  if (typeof e.app === 'string') at(sub.ixApp, e.app, json);
  if (typeof e.correlation === 'string') at(sub.ixCorr, e.correlation);
  if (isIndexedType(e.type)) at(sub.ixType, e.type as string, json);
  return ops;
}

/** A stored record's JSON, or undefined when it cannot be parsed. */
export function parseStored(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The index entries of the record stored as `value` at `seq`: none when it cannot be parsed. */
export function storedIndexOps(sub: Subs, type: 'put' | 'del', seq: number, value: string): BatchOp[] {
  const raw = parseStored(value);
  return typeof raw === 'object' && raw !== null ? indexOps(sub, type, { ...(raw as object), seq }, value) : [];
}

export function bootOp(sub: Subs, b: BootRecord): BatchOp {
  return { type: 'put', sublevel: sub.boots, key: pad(b.boot), value: JSON.stringify({ first: b.first, last: b.last, version: b.version }) };
}

/** A boots! entry read back. */
export const bootRecord = (key: string, value: string): BootRecord => ({ boot: Number(key), ...(JSON.parse(value) as Omit<BootRecord, 'boot'>) });

export const metaOp = (sub: Subs, key: string, value: unknown): BatchOp => ({ type: 'put', sublevel: sub.meta, key, value: JSON.stringify(value) });

export const snapOp = (sub: Subs, seq: number, value: string): BatchOp => ({ type: 'put', sublevel: sub.snap, key: pad(seq), value });

export const snapDelOp = (sub: Subs, seq: number): BatchOp => ({ type: 'del', sublevel: sub.snap, key: pad(seq) });
