// What leaves podledger for the page: events and views with every secret hash taken out. A secret's
// hash is keyed by the node key, but it still tells whether two nodes (or two times) hold the same
// value, so the page is told only that a secret is set or changed, never by what.
import type { Envelope } from '../core/events.js';
import { summarise } from '../core/render.js';
import type { WhyEntry } from '../core/why.js';

export const SECRET_CHANGED = '(secret changed)';

/** One line of text for an event, as `podledger events` writes it, a secret's hash left out. */
export function summaryOf(e: Envelope): string {
  if (e.type === 'SecretObserved') return `${e.data.name} ${SECRET_CHANGED}`;
  return summarise(e);
}

/** An event's data for the page: secret hashes (SecretObserved, a spec's secretEnv) replaced. */
export function redactData(e: Envelope): unknown {
  if (e.type === 'SecretObserved') return { name: e.data.name, value: SECRET_CHANGED };
  return scrub(e.data);
}

/** A copy in which every `{secret, hash}` (a spec's secretEnv entry) has its hash replaced. */
export function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'hash' && typeof o.secret === 'string' ? SECRET_CHANGED : scrub(v);
  return out;
}

/** A why entry for the page: the core's secrets are "changed" already; a secret link's summary named its hash. */
export function redactWhy(w: WhyEntry): WhyEntry {
  return {
    ...w,
    reasons: w.reasons.map((r) => ({
      ...r,
      ...(r.field?.startsWith('secretEnv.') ? { from: SECRET_CHANGED, to: SECRET_CHANGED } : {}),
      ...(r.cause ? { cause: r.cause.map((c) => (c.type === 'SecretObserved' ? { ...c, summary: `secret ${c.changes?.[0]?.name ?? ''} changed`.trim() } : c)) } : {}),
    })),
  };
}
