// From a draft to the envelope the writer stores: validated before anything of its append is written,
// given what does not depend on its position (id, v, time), then its position (seq, boot, bootSeq).
import { CURRENT_VERSION, SOURCES, checkDraft, stripUndefined } from '../core/events.js';
import type { Draft, Envelope } from '../core/events.js';
import { InvalidEventError } from './errors.js';

/** An envelope before its position in the log is known. */
export type PartialEnvelope = Omit<Envelope, 'seq' | 'boot' | 'bootSeq'>;

const SOURCE_SET: ReadonlySet<string> = new Set(SOURCES);

/**
 * Validate a draft and give it what does not depend on its position: id, v, time. `index`: its place
 * in its append call; a `causedByDraft` is kept as -(index + 1) in `causedBy` until the seqs are known.
 */
export function partialEnvelope(d: Draft, opts: { newId: () => string; clock: () => number }, index = 0): PartialEnvelope {
  const checked = checkDraft(d);
  const bad = (checked.ok ? undefined : checked.reason) ?? checkMeta(d) ?? checkSameCall(d, index);
  if (bad || !checked.ok) throw new InvalidEventError(String(d.type), bad ?? 'invalid');
  // Fixed key order, so the stored JSON and an export of it are byte-stable.
  return stripUndefined({
    id: opts.newId(),
    type: d.type,
    v: CURRENT_VERSION[d.type],
    at: opts.clock(),
    source: d.source,
    app: d.app,
    causedBy: d.causedByDraft !== undefined ? -(d.causedByDraft + 1) : d.causedBy,
    correlation: d.correlation,
    // stored as decoding will read it back: the live fold and a replay see the same data
    data: checked.data,
  }) as PartialEnvelope;
}

/** `p` at its position; `first`: the seq of its append call's first draft (what a `causedByDraft` counts from). */
export function envelopeAt(p: PartialEnvelope, seq: number, boot: number, bootSeq: number, first = seq): Envelope {
  // seq first, then the fixed order of partialEnvelope: the same envelope always serialises to the same bytes.
  const { id, type, v, at, ...rest } = p;
  const env = { seq, id, type, v, at, boot, bootSeq, ...rest } as Envelope;
  if (env.causedBy !== undefined && env.causedBy < 0) env.causedBy = first - env.causedBy - 1; // in place: the key keeps its order
  return env;
}

/** The meta fields `checkDraft` does not check but `decodeEvent` will: catch them before they are written. */
function checkMeta(d: Draft): string | undefined {
  if (!SOURCE_SET.has(d.source)) return `unknown source '${String(d.source)}'`;
  if (d.app !== undefined && (typeof d.app !== 'string' || !/^[^!]+$/.test(d.app))) return `app must be a non-empty string without '!', got ${JSON.stringify(d.app)}`;
  if (d.causedBy !== undefined && !(Number.isSafeInteger(d.causedBy) && d.causedBy > 0)) return `causedBy must be a positive integer seq, got ${JSON.stringify(d.causedBy)}`;
  if (d.correlation !== undefined && (typeof d.correlation !== 'string' || !/^[^!]+$/.test(d.correlation))) return `correlation must be a non-empty string without '!', got ${JSON.stringify(d.correlation)}`;
  return undefined;
}

/** A `causedByDraft` names an earlier draft of the same call, and comes instead of `causedBy`. */
function checkSameCall(d: Draft, index: number): string | undefined {
  if (d.causedByDraft === undefined) return undefined;
  if (d.causedBy !== undefined) return 'causedBy and causedByDraft are both given: give one';
  if (!Number.isSafeInteger(d.causedByDraft) || d.causedByDraft < 0 || d.causedByDraft >= index) {
    return `causedByDraft must be the index of an earlier draft of the same append call (0..${index - 1}), got ${JSON.stringify(d.causedByDraft)}`;
  }
  return undefined;
}
