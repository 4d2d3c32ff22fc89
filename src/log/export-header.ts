// The first line of an export: what its events alone do not say. Which node wrote them (imports refuse
// to mix nodes), and for a compacted log, what the compaction removed and the state those events built,
// so that the export imports into an empty store and replays to the node's real state.
//
//   {"podledger":"export","format":1,"node":"…","compaction":{…},"snapshot":{foldVersion,stateHash,state}}
//
// Exports without it (before podledger 0.2, or written by hand) are read as before: events only.
import * as z from 'zod';
import type { State } from '../core/state.js';
import type { Compaction } from './compaction.js';

export const EXPORT_FORMAT = 1;

const seq = z.number().int().nonnegative();
const HeaderSchema = z.object({
  podledger: z.literal('export'),
  format: z.literal(EXPORT_FORMAT),
  node: z.string().regex(/^[0-9a-f]{16}$/, 'a node id is 16 hex digits').optional(),
  compaction: z.object({ through: seq, kept: z.array(seq), removed: seq, at: z.number() }).optional(),
  snapshot: z.object({
    foldVersion: z.number().int(),
    stateHash: z.string(),
    state: z.looseObject({ seq }),
  }).optional(),
}).refine((h) => (h.compaction === undefined) === (h.snapshot === undefined), { message: 'compaction and snapshot come together' })
  .refine((h) => h.compaction === undefined || h.snapshot!.state.seq === h.compaction.through, { message: "the snapshot's state must be at the compaction's cut" });

export interface ExportHeader {
  podledger: 'export';
  format: typeof EXPORT_FORMAT;
  node?: string;
  compaction?: Compaction;
  /** the state at `compaction.through`, as a snapshot record (see ../log/snapshots.ts) */
  snapshot?: { foldVersion: number; stateHash: string; state: State };
}

/** A first line that claims to be a header (has `podledger`), as opposed to an event. */
export function looksLikeHeader(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'podledger' in raw;
}

export function parseHeader(raw: unknown): { ok: true; header: ExportHeader } | { ok: false; reason: string } {
  const r = HeaderSchema.safeParse(raw);
  if (r.success) return { ok: true, header: r.data as ExportHeader };
  const why = r.error.issues.map((i) => `${i.path.join('.') || '(header)'}: ${i.message}`).join('; ');
  const format = (raw as { format?: unknown }).format;
  const newer = typeof format === 'number' && format > EXPORT_FORMAT
    ? ` (export format ${format} is newer than this podledger reads, ${EXPORT_FORMAT}: upgrade podledger)` : '';
  return { ok: false, reason: `bad export header: ${why}${newer}` };
}

export function makeHeader(node: string | undefined, base?: { compaction: Compaction; snapshot: ExportHeader['snapshot'] }): ExportHeader {
  return {
    podledger: 'export', format: EXPORT_FORMAT,
    ...(node ? { node } : {}),
    ...(base ? { compaction: base.compaction, snapshot: base.snapshot } : {}),
  };
}
