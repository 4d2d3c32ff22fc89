// Decoding compiles the event catalogue's exact checks from their generated source
// (src/core/exact-checks.generated.ts, written by `npm run schema`), so that no zod schema is built for
// a record they vouch for. That source must be what exact-check.ts generates from today's schemas,
// and the checks compiled from it must answer as the ones built from the schemas do, on recorded
// values one change away and on any JSON.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { eventSchemas } from '../../../src/core/event-schemas.js';
import { CURRENT_VERSION, type EventType } from '../../../src/core/events.js';
import { compileExactCheck, exactCheck, exactCheckAnyOrder, exactCheckSource, type ExactCheck, type OrderCheck } from '../../../src/core/exact-check.js';
import { DATA_CHECKS, ENVELOPE_CHECK } from '../../../src/core/exact-checks.generated.js';
import { EXACT_CHECKS_FILE, exactChecksModule } from '../../../src/tools/exact-checks.js';
import { validLines } from './logs.js';
import { paths, replaced, replacement } from './mutate.js';
import { RUNS } from './support.js';

const { EVENT_SCHEMAS, EnvelopeShape } = eventSchemas();
const root = fileURLToPath(new URL('../../../', import.meta.url));
const current = (type: string): z.ZodType => (EVENT_SCHEMAS as Record<string, Record<number, z.ZodType>>)[type]![CURRENT_VERSION[type as EventType]]!;
const types = Object.keys(EVENT_SCHEMAS);

describe('the generated exact checks', () => {
  it('given the event schemas, when the checks are generated again, then the file holds exactly that (else: npm run schema)', () => {
    expect(readFileSync(`${root}${EXACT_CHECKS_FILE}`, 'utf8') === exactChecksModule(), `${EXACT_CHECKS_FILE} is stale: run npm run schema`).toBe(true);
    expect(ENVELOPE_CHECK).toBe(exactCheckSource(EnvelopeShape, true));
    expect(Object.keys(DATA_CHECKS)).toEqual(types);
    for (const type of types) expect(DATA_CHECKS[type as EventType], type).toBe(exactCheckSource(current(type), false) ?? null);
  });

  it('given recorded records one change away, and any JSON, when checked by the compiled source and by the schema-built check, then both answer alike', () => {
    const envelope = { generated: compileExactCheck<OrderCheck>(ENVELOPE_CHECK!), built: exactCheckAnyOrder(EnvelopeShape)! };
    const data = new Map(types.map((t) => [t, { generated: compileExactCheck<ExactCheck>(DATA_CHECKS[t as EventType]!), built: exactCheck(current(t))! }]));
    const record = validLines(12).filter((ls) => ls.length > 0).chain((ls) => fc.constantFrom(...ls)).map((l) => JSON.parse(l) as { type: string; data: unknown });
    const changed = record.chain((r) => fc.tuple(fc.constant(r), fc.constantFrom(...paths(r)), replacement, fc.constantFrom('set' as const, 'delete' as const, 'reorder' as const, 'extra' as const)));
    // a change may replace the whole record: its data is then undefined, which each check is held to too
    const alike = (type: string, value: unknown) => {
      expect(envelope.generated(value)).toBe(envelope.built(value));
      const inner = typeof value === 'object' && value !== null ? (value as { data?: unknown }).data : undefined;
      const checks = data.get(type)!;
      expect(checks.generated(inner)).toBe(checks.built(inner));
    };
    fc.assert(fc.property(changed, ([r, at, by, how]) => {
      alike(r.type, r);
      alike(r.type, replaced(r, at, by, how));
    }), RUNS);
    fc.assert(fc.property(fc.jsonValue(), fc.constantFrom(...types), (value, type) => {
      alike(type, { data: value });
      expect(envelope.generated(value)).toBe(envelope.built(value));
    }), RUNS);
  });
});
