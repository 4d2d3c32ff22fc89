// checkDraft's exact path (no zod when the exact check vouches) against zod's plain check: the same
// verdict, and data that stores as the same bytes, on simulated logs, the captured logs, and drafts
// bent out of shape.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDraft, checkDraftPlain, type Draft, type Envelope } from '../../../src/core/events.js';
import { validLog } from './logs.js';

const RUNS = Number(process.env.PROP_RUNS ?? 200);
const EVENTS = path.join(import.meta.dirname, '../../../events');

const asDraft = (e: Envelope): Draft => ({ type: e.type, source: e.source, app: e.app, causedBy: e.causedBy, correlation: e.correlation, data: e.data } as Draft);

/** Both verdicts agree; when valid, the data stores as the same JSON. */
function agree(draft: Draft): void {
  const fast = checkDraft(draft);
  const plain = checkDraftPlain(draft);
  expect(fast.ok).toBe(plain.ok);
  if (fast.ok && plain.ok) expect(JSON.stringify(fast.data)).toBe(JSON.stringify(plain.data));
}

describe('checkDraft', () => {
  it('given every record of the captured logs as a draft, when checked, then it agrees with zod', () => {
    for (const file of readdirSync(EVENTS).filter((f) => f.endsWith('.ndjson'))) {
      const lines = readFileSync(path.join(EVENTS, file), 'utf8').split('\n').filter(Boolean);
      for (const line of lines) {
        const e = JSON.parse(line) as Envelope & { podledger?: string };
        if (e.podledger === undefined && e.type !== undefined) agree(asDraft(e));
      }
    }
  });

  it('given drafts of simulated logs, some with a field bent, when checked, then it agrees with zod', () => {
    const bend = fc.oneof(
      fc.constant<unknown>(undefined), fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.constant([]), fc.constant({}),
      fc.constant(Object.create(null) as unknown), fc.constant(JSON.parse('{"__proto__":{"x":1}}') as unknown),
    );
    fc.assert(fc.property(validLog(12), fc.nat(), bend, (log, pick, value) => {
      for (const e of log) agree(asDraft(e));
      const e = log[pick % log.length];
      if (!e || typeof e.data !== 'object' || e.data === null) return;
      const keys = Object.keys(e.data);
      const key = keys[pick % Math.max(1, keys.length)];
      const bent = (data: object) => ({ ...asDraft(e), data }) as unknown as Draft;
      if (key !== undefined) agree(bent({ ...e.data, [key]: value }));
      agree(bent({ ...e.data, extra: value }));
    }), { numRuns: RUNS });
  });

  it('given a valid draft, when the caller changes its data after the check, then the checked data does not change', () => {
    const data = { reason: 'SIGTERM' };
    const checked = checkDraft({ type: 'BootStopped', source: 'reconciler', data } as Draft);
    data.reason = 'changed';
    expect(checked).toEqual({ ok: true, data: { reason: 'SIGTERM' } });
  });

  it('given data of the right shape that cannot be stored as JSON, when checked, then it is refused with why', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const checked = checkDraft({ type: 'DriftDetected', source: 'inventory', app: 'a', data: { id: 'c1', differences: [{ field: 'f', expected: cyclic, actual: 1 }] } } as Draft);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(/JSON/);
  });
});
