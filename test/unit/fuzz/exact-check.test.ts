// The exact checks (src/core/exact-check.ts) are generated code: whatever they vouch for, zod must
// accept and return unchanged, down to key order. Held against zod itself on every event schema (with
// values one change away from recorded ones), on made-up schemas of each kind the generator knows
// (numbers with bounds, strings with floors, enums, literals, defaults, unions, records), and in any
// key order for the envelope's kind of check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CURRENT_VERSION, type EventType } from '../../../src/core/events.js';
import { eventSchemas } from '../../../src/core/event-schemas.js';
import { EXACT, EXACT_BUT_ORDER, exactCheck, exactCheckAnyOrder, NOT_EXACT } from '../../../src/core/exact-check.js';
import { validLines } from './logs.js';
import { keyPaths, paths, replaced, replacement } from './mutate.js';
import { RUNS } from './support.js';

const { EVENT_SCHEMAS } = eventSchemas();

/** `check` vouched for `value`: zod accepts it and returns it as it is. */
function vouched(schema: z.ZodType, value: unknown): void {
  const parsed = schema.safeParse(structuredClone(value));
  expect(parsed.success).toBe(true);
  expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(value));
  expect(keyPaths(parsed.data)).toEqual(keyPaths(value));
}

const current = (type: string): z.ZodType => (EVENT_SCHEMAS as Record<string, Record<number, z.ZodType>>)[type]![CURRENT_VERSION[type as EventType]]!;

/** A recorded event's data, the schema of its type, and the data one change away. */
const changedData = validLines(12).filter((ls) => ls.length > 0).chain((ls) => fc.constantFrom(...ls))
  .map((l) => JSON.parse(l) as { type: string; data: unknown })
  .chain((e) => fc.tuple(fc.constant(e), fc.constantFrom(...paths(e.data)), replacement, fc.constantFrom('set' as const, 'delete' as const, 'reorder' as const, 'extra' as const)));

/** Made-up schemas of every kind the generator compiles, and some it refuses. */
const primitiveSchemas: z.ZodType[] = [
  z.number(), z.number().int(), z.number().int().positive(), z.number().int().nonnegative(), z.number().min(0).max(8.64e15),
  z.number().gt(-1.5).lt(2.5), z.number().gte(1).gt(1), z.number().lte(3).lt(3), z.number().int().min(-3).max(3).min(-10),
  z.string(), z.string().min(1), z.boolean(), z.null(), z.enum(['a', 'b']), z.literal(3), z.literal(['x', 0, true]),
  z.union([z.string(), z.number()]), z.string().optional(), z.number().nullable(), z.string().default('d'),
];
const compositeSchemas: z.ZodType[] = [
  z.object({ a: z.number(), b: z.string().optional(), c: z.boolean() }),
  z.object({ a: z.string().optional(), b: z.string().optional() }),
  z.object({ list: z.array(z.object({ k: z.enum(['x', 'y']), n: z.number().int().optional() })).default([]) }),
  z.record(z.string(), z.union([z.string(), z.number()])),
  z.array(z.union([z.object({ type: z.literal('p'), x: z.number() }), z.object({ type: z.literal('q'), y: z.string().optional() })])),
  z.object({ nested: z.object({ deep: z.record(z.string(), z.array(z.string())) }).optional(), tail: z.null() }),
];
/** Values at the edges of the made-up schemas: bounds, their neighbours, keys in and out of order. */
const edges: unknown[] = [undefined, null, 0, -0, 1, -1, 1.5, 2.5, 3, -1.5, -3, -10, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 8.64e15, 8.64e15 + 1, NaN, Infinity, -Infinity,
  '', 'a', 'b', 'x', 'd', 'p', 'q', true, false, [], {}, { a: 1, c: true }, { c: true, a: 1 }, { a: 1, b: undefined, c: false }, { a: 1, b: 'x', c: true, d: 1 },
  { list: [{ k: 'x' }, { k: 'y', n: 2 }] }, { list: [{ n: 2, k: 'y' }] }, [{ type: 'p', x: 1 }, { type: 'q' }], [{ x: 1, type: 'p' }], { tail: null }, { nested: { deep: { a: ['b'] } }, tail: null },
  { tail: null, nested: { deep: {} } }, JSON.parse('{"__proto__": 1}'), { a: 'x', b: 'y' }, { b: 'y', a: 'x' }];
const made = fc.oneof(fc.constantFrom(...edges), fc.double(), fc.integer(), fc.string({ maxLength: 2 }), fc.jsonValue({ maxDepth: 3 }));

/** What `check` says of `value`, held to zod: what it vouches for zod returns unchanged; of a primitive, exactly that. */
function heldToZod(schema: z.ZodType, value: unknown): void {
  const check = exactCheck(schema);
  expect(check).toBeDefined();
  if (check!(value)) vouched(schema, value);
  if (primitiveSchemas.includes(schema)) {
    const parsed = schema.safeParse(value);
    expect(check!(value)).toBe(parsed.success && Object.is(parsed.data, value));
  }
}

describe('exact checks, generated from zod schemas, against zod', () => {
  it('given recorded events of every type, when their data is checked, then the check vouches for it', () => {
    fc.assert(fc.property(validLines(12), (lines) => {
      for (const l of lines) {
        const e = JSON.parse(l) as { type: string; v: number; data: unknown };
        if (e.v !== CURRENT_VERSION[e.type as EventType]) continue; // an older one is upcast by zod
        expect(exactCheck(current(e.type))!(e.data)).toBe(true);
      }
    }), RUNS);
  });

  it('given recorded data with one value replaced, removed, keys reordered or an extra key, when the check vouches for it, then zod returns it unchanged', () => {
    fc.assert(fc.property(changedData, ([e, at, by, how]) => {
      const schema = current(e.type);
      const check = exactCheck(schema)!;
      const value = replaced(e.data, at, by, how);
      if (check(value)) vouched(schema, value);
    }), { numRuns: RUNS.numRuns * 5 });
  });

  it('given made-up schemas of each kind and values at their edges or any value, when the check vouches for one, then zod returns it unchanged; of primitives, exactly what zod accepts unchanged', () => {
    for (const schema of [...primitiveSchemas, ...compositeSchemas]) for (const value of edges) heldToZod(schema, value);
    fc.assert(fc.property(fc.constantFrom(...primitiveSchemas, ...compositeSchemas), made, heldToZod), { numRuns: RUNS.numRuns * 5 });
  });

  it('given objects in any key order, when checked in any order, then EXACT is the in-order check without undefined values, and EXACT_BUT_ORDER is zod accepting them reordered', () => {
    const objects: z.ZodType[] = [...compositeSchemas.filter((s) => s instanceof z.ZodObject), ...Object.keys(EVENT_SCHEMAS).map(current).filter((s) => s instanceof z.ZodObject)];
    const value = fc.oneof(made, changedData.map(([e, at, by, how]) => replaced(e.data, at, by, how)));
    fc.assert(fc.property(fc.constantFrom(...objects), value, fc.boolean(), (schema, v0, reverse) => {
      const v = reverse && typeof v0 === 'object' && v0 !== null && !Array.isArray(v0) ? Object.fromEntries(Object.entries(v0).reverse()) : v0;
      const answer = exactCheckAnyOrder(schema)!(v);
      const inOrder = exactCheck(schema)!(v);
      const noUndefined = typeof v === 'object' && v !== null && Object.values(v).every((x) => x !== undefined);
      expect(answer === EXACT).toBe(inOrder && noUndefined);
      if (answer === EXACT_BUT_ORDER) {
        const parsed = schema.safeParse(structuredClone(v));
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(v);
        expect(Object.keys(parsed.data as object)).not.toEqual(Object.keys(v as object));
      }
      expect([NOT_EXACT, EXACT, EXACT_BUT_ORDER]).toContain(answer);
    }), { numRuns: RUNS.numRuns * 5 });
  });

  it('given schemas the generator does not know, when compiled, then there is no check (zod decides)', () => {
    for (const s of [z.string().max(3), z.number().multipleOf(2), z.object({ a: z.string() }).strict(), z.object({ a: z.string() }).loose(), z.date(), z.string().transform((x) => x), z.object({ toString: z.string() })]) {
      expect(exactCheck(s)).toBeUndefined();
    }
  });
});
