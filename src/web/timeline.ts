// The timeline's pages: newest first, read backwards through the app index or a seq range, so a page
// of a 1M-event log costs about a page of reads. A time window becomes a seq range by binary search
// on seqs (events are appended in time order). Kind, severity and text filters are applied while
// reading; a page stops after SCAN_LIMIT records and says where to go on, so a rare match never
// turns one request into a read of the whole log.
import { AUDITED } from '../core/action-kinds.js';
import type { Envelope } from '../core/events.js';
import type { EventLookup, ReadItem } from '../log/reader.js';
import { atLeast, kindOf, severityOf, type Kind, type Severity } from './classify.js';
import { summaryOf } from './redact.js';

export interface TimelineQuery {
  /** inclusive: the newest seq of the page (the previous page's `next`) */
  before?: number;
  limit: number;
  app?: string;
  kinds?: readonly Kind[];
  severity?: Severity;
  text?: string;
  /** a time window in ms, inclusive */
  from?: number;
  to?: number;
}

export interface TimelineRow {
  seq: number;
  at: number;
  boot: number;
  type: string;
  app: string | null;
  kind: Kind;
  severity: Severity;
  summary: string;
  causedBy: number | null;
  /** an action whose causal chain `why` explains (create, recreate, start, remove, ...) */
  why: boolean;
}

export interface TimelinePage {
  rows: TimelineRow[];
  /** where the next (older) page starts, or null at the start of the window */
  next: number | null;
  scanned: number;
}

export const SCAN_LIMIT = 20_000;

export function rowOf(e: Envelope): TimelineRow {
  return {
    seq: e.seq, at: e.at, boot: e.boot, type: e.type, app: e.app ?? null, kind: kindOf(e), severity: severityOf(e),
    summary: summaryOf(e), causedBy: e.causedBy ?? null,
    why: e.type === 'ActionStarted' && e.app !== undefined && AUDITED.has(e.data.action.kind),
  };
}

export function matches(row: TimelineRow, q: Omit<TimelineQuery, 'limit'>): boolean {
  if (q.app !== undefined && row.app !== q.app) return false;
  if (q.kinds && !q.kinds.includes(row.kind)) return false;
  if (q.severity && !atLeast(row.severity, q.severity)) return false;
  if (q.text) {
    const t = q.text.toLowerCase();
    if (!`#${row.seq} ${row.type} ${row.app ?? ''} ${row.summary}`.toLowerCase().includes(t)) return false;
  }
  return true;
}

export async function timelinePage(lookup: EventLookup, lastSeq: number, q: TimelineQuery): Promise<TimelinePage> {
  let [low, high] = [1, Math.min(lastSeq, q.before ?? lastSeq)];
  if (q.from !== undefined) low = Math.max(low, await firstAtOrAfter(lookup, lastSeq, q.from));
  if (q.to !== undefined) high = Math.min(high, (await firstAtOrAfter(lookup, lastSeq, q.to + 1)) - 1);
  const rows: TimelineRow[] = [];
  let scanned = 0;
  let next: number | null = null;
  if (high < low) return { rows, next, scanned };
  for await (const item of newestFirst(lookup, low, high, q)) {
    const seq = item.ok ? item.event.seq : item.seq;
    if (rows.length >= q.limit || scanned >= SCAN_LIMIT) {
      next = seq;
      break;
    }
    scanned++;
    if (!item.ok) continue;
    const row = rowOf(item.event);
    if (matches(row, q)) rows.push(row);
  }
  return { rows, next, scanned };
}

/**
 * Records from `high` down to `low`. Through the app index when an app is asked for (it reads small
 * chunks first); otherwise in seq windows that start a little over a page and grow, since a store's
 * range read decodes a whole chunk (1,000 records) at a time, most of which a page would not show.
 */
async function* newestFirst(lookup: EventLookup, low: number, high: number, q: TimelineQuery): AsyncGenerator<ReadItem> {
  if (q.app !== undefined) {
    yield* lookup.read({ since: low - 1, until: high, reverse: true, app: q.app });
    return;
  }
  for (let until = high, size = q.limit + 1; until >= low; until -= size, size = Math.min(size * 4, 8192)) {
    yield* lookup.read({ since: Math.max(low, until - size + 1) - 1, until, reverse: true });
  }
}

/**
 * The lowest seq whose event is at or after `at` (lastSeq + 1 when none is): a binary search of
 * single reads. A seq the log does not hold (compacted away) is stepped over to the next one held.
 */
export async function firstAtOrAfter(lookup: EventLookup, lastSeq: number, at: number): Promise<number> {
  let [lo, hi] = [1, lastSeq + 1];
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const e = await heldAtOrAfter(lookup, mid, hi);
    if (e === undefined || e.at >= at) hi = mid;
    else lo = (e.seq ?? mid) + 1;
  }
  return lo;
}

async function heldAtOrAfter(lookup: EventLookup, seq: number, limit: number): Promise<Envelope | undefined> {
  for await (const item of lookup.read({ since: seq - 1, until: limit - 1 })) if (item.ok) return item.event;
  return undefined;
}
