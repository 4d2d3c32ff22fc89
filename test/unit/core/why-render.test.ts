// renderWhy and renderReason build their text by appending (why --all renders thousands of entries);
// the text is the one the array-and-join versions they replaced wrote, kept here as the oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso, renderReason, show } from '../../../src/core/render.js';
import { renderWhy, renderWhyChunks, type WhyEntry } from '../../../src/core/why.js';
import type { Reason } from '../../../src/core/events.js';

function reasonBefore(r: Reason): string {
  const parts = [r.code];
  if (r.field) parts.push(r.field);
  if (r.from !== undefined || r.to !== undefined) parts.push(`${show(r.from)} → ${show(r.to)}`);
  if (r.message) parts.push(`(${r.message})`);
  if (r.causedBy) parts.push(`causedBy #${r.causedBy}`);
  return parts.join(' ');
}

function whyBefore(entries: readonly WhyEntry[]): string {
  return entries.map((w) => {
    const lines = [`#${w.action.seq} ${w.action.kind} ${w.action.app} at ${iso(w.action.at)}`];
    for (const r of w.reasons) {
      lines.push(`  because ${reasonBefore(r)}`);
      for (const link of r.cause ?? []) {
        const what = link.changes?.map((c) => `${c.name} ${show(c.from)} → ${show(c.to)}`).join(', ');
        lines.push(`    ← #${link.seq} ${link.type} ${what ?? link.summary}`);
      }
    }
    lines.push(w.outcome ? `  → #${w.outcome.seq} ${w.outcome.type}` : '  → (no outcome recorded: interrupted?)');
    for (const x of w.effects) lines.push(`  → #${x.seq} ${x.type}`);
    return lines.join('\n') + '\n';
  }).join('\n');
}

const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.constantFrom('(secret)', 'content abc'), fc.integer(), fc.dictionary(fc.string(), fc.nat()));
const reason = fc.record({
  code: fc.string(), field: fc.option(fc.string(), { nil: undefined }), from: value, to: value,
  message: fc.option(fc.string(), { nil: undefined }), causedBy: fc.option(fc.nat(), { nil: undefined }),
}, { requiredKeys: ['code'] });
const link = fc.record({
  seq: fc.nat(), type: fc.string(), at: fc.nat(), summary: fc.string(),
  changes: fc.option(fc.array(fc.record({ name: fc.string(), from: value, to: value }), { maxLength: 3 }), { nil: undefined }),
}, { requiredKeys: ['seq', 'type', 'at', 'summary'] });
const entry = fc.record({
  action: fc.record({ seq: fc.nat(), kind: fc.constantFrom('create', 'recreate', 'start', 'remove'), app: fc.string(), at: fc.integer({ min: -1e15, max: 3e14 }) }),
  reasons: fc.array(fc.tuple(reason, fc.option(fc.array(link, { maxLength: 3 }), { nil: undefined })).map(([r, cause]) => (cause ? { ...r, cause } : r)), { maxLength: 3 }),
  outcome: fc.option(fc.record({ seq: fc.nat(), type: fc.constantFrom('ActionSucceeded', 'ActionFailed'), at: fc.nat(), summary: fc.string() }), { nil: undefined }),
  effects: fc.array(fc.record({ seq: fc.nat(), type: fc.string(), at: fc.nat(), container: fc.string(), summary: fc.string() }), { maxLength: 2 }),
}, { requiredKeys: ['action', 'reasons', 'effects'] }) as fc.Arbitrary<WhyEntry>;

describe('renderWhy', () => {
  it('given any entries, when rendered, then the text is byte for byte what the array-and-join version wrote', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
      expect(renderWhy(entries)).toBe(whyBefore(entries));
      for (const w of entries) for (const r of w.reasons) expect(renderReason(r)).toBe(reasonBefore(r));
    }), { numRuns: 1000 });
  });

  it('given any entries, when rendered in chunks of any size (why --all writes each as it is made), then the chunks joined are the one text', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 9 }), fc.integer({ min: 1, max: 10 }), (entries, per) => {
      const chunks = [...renderWhyChunks(entries, per)];
      expect(chunks.join('')).toBe(whyBefore(entries));
      expect(chunks.length).toBe(Math.ceil(entries.length / per));
      for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true); // so writing them adds no line break, as one text did not
      expect([...renderWhyChunks((function* () { yield* entries; })(), per)]).toEqual(chunks); // as explainEach hands them, one at a time
    }), { numRuns: 500 });
  });
});
