// A fast path for decoding: a plain predicate compiled once from a zod schema that answers true only
// when the schema would accept the value *and* return it unchanged (same keys, same order, no default
// to fill, no unknown key to strip). Such a value can be used as it is, without zod building a copy
// of it. Anything else — a value it rejects, or a schema it does not understand — answers false (or
// compiles to undefined), and the caller takes zod's full parse, with zod's reasons.
//
// Understood: string (min_length ≤ 1), number (int, >, >=, <, <=), boolean, null, unknown/any, enum,
// primitive literal, optional, nullable, default (present values only), array, record with string
// keys, strip-mode object, and unions of primitives or of objects told apart by a literal field. Anything else makes the schema unsupported.
//
// The predicate is generated as JavaScript source (one function per object, array and record of the
// schema, primitives inline) and compiled with `new Function`: a tree of closures calling closures
// made every field check an indirect call V8 could not inline, and decoding cost a third of a replay
// (docs/benchmarks.md, issue 15). Only the schema's own keys and literals reach the source, each
// written with JSON.stringify; nothing of a value being checked does.
import type * as z from 'zod';

export type ExactCheck = (value: unknown) => boolean;

type Def = { type: string; checks?: { _zod: { def: CheckDef } }[] } & Record<string, unknown>;
type CheckDef = { check: string; format?: string; value?: unknown; inclusive?: boolean; minimum?: number };

const cache = new WeakMap<object, ExactCheck | null>();

/** The exact check of `schema`, or undefined when it uses something the compiler does not know. */
export function exactCheck(schema: z.ZodType): ExactCheck | undefined {
  const hit = cache.get(schema);
  if (hit !== undefined) return hit ?? undefined;
  const compiled = build(schema, false) as ExactCheck | undefined;
  cache.set(schema, compiled ?? null);
  return compiled;
}

/** What `exactCheckAnyOrder` answers: the value is not vouched for, is exact, or is exact but for its keys' order. */
export const NOT_EXACT = 0;
export const EXACT = 1;
export const EXACT_BUT_ORDER = 2;
export type OrderCheck = (value: unknown) => typeof NOT_EXACT | typeof EXACT | typeof EXACT_BUT_ORDER;

/**
 * For an object schema: the exact check, with its own keys accepted in any order (in one pass, not
 * one try per order). EXACT_BUT_ORDER: the caller must rebuild the value in the shape's order to have
 * what zod would return. A key present with the value undefined is never vouched for (zod would keep
 * an optional one, which a JSON round trip would not).
 */
export function exactCheckAnyOrder(schema: z.ZodType): OrderCheck | undefined {
  return defOf(schema).type === 'object' ? build(schema, true) as OrderCheck | undefined : undefined;
}

/** What the generated source may use, passed in as parameters (it sees globals, not this module). */
const HELPERS = { isArray: Array.isArray, getProto: Object.getPrototypeOf, OP: Object.prototype, isSafe: Number.isSafeInteger, isFin: Number.isFinite };

function build(schema: unknown, anyOrder: boolean): ExactCheck | OrderCheck | undefined {
  const body = source(schema, anyOrder);
  return body === undefined ? undefined : compileExactCheck(body);
}

/** The generated source of a check (a function body returning the predicate), or undefined when unsupported. */
function source(schema: unknown, anyOrder: boolean): string | undefined {
  const gen = new Gen();
  const top = defOf(schema).type === 'object' ? gen.object(schema, anyOrder) : gen.fn(schema);
  return top === undefined ? undefined : `"use strict";\n${gen.fns.join('\n')}\nreturn ${top};`;
}

/**
 * The source `exactCheck` (anyOrder false) or `exactCheckAnyOrder` (true) compiles, as text: the
 * event catalogue's are generated into exact-checks.generated.ts, so decoding needs no zod schema
 * built until a record leaves the fast path (events.ts).
 */
export function exactCheckSource(schema: z.ZodType, anyOrder: boolean): string | undefined {
  return anyOrder && defOf(schema).type !== 'object' ? undefined : source(schema, anyOrder);
}

/** A check from its source (`exactCheckSource`): the same predicate `exactCheck`/`exactCheckAnyOrder` builds. */
export function compileExactCheck<C extends ExactCheck | OrderCheck>(body: string): C {
  const make = new Function(...Object.keys(HELPERS), body) as (...helpers: unknown[]) => C;
  return make(...Object.values(HELPERS));
}

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

const lit = (v: unknown): string => JSON.stringify(v);
/** a primitive literal or enum value that `===` compares as zod does (no NaN, no ±Infinity) */
const comparable = (x: unknown): boolean => x === null || typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
/** statements returning `no` unless `v` is a plain object (its prototype Object's or none) */
const PLAIN = (v: string, no = 'false') => `if (typeof ${v} !== "object" || ${v} === null || isArray(${v})) return ${no};\n  { const p = getProto(${v}); if (p !== OP && p !== null) return ${no}; }`;

/** The generator: `fns` holds the source of one function per object, array, record and union. */
class Gen {
  readonly fns: string[] = [];

  /** A named function checking a value against `schema`; its name, or undefined when unsupported. */
  fn(schema: unknown): string | undefined {
    const e = this.expr(schema, 'x');
    return e === undefined ? undefined : this.add((name) => `function ${name}(x) { return ${e}; }`);
  }

  add(source: (name: string) => string): string {
    const name = `f${this.fns.length}`;
    this.fns.push(''); // reserve the name before nested functions take theirs
    this.fns[Number(name.slice(1))] = source(name);
    return name;
  }

  /** A JS expression checking the value in variable `x`, or undefined when unsupported. */
  expr(schema: unknown, x: string): string | undefined {
    const def = defOf(schema);
    const checks = def.checks ?? [];
    const inner = (): string | undefined => (checks.length ? undefined : this.expr(def.innerType, x));
    switch (def.type) {
      case 'string': {
        let min = 0;
        for (const c of checks) {
          const d = c._zod.def;
          // zod counts code points; with a floor of 0 or 1 that is the same as counting UTF-16 units
          if (d.check !== 'min_length' || typeof d.minimum !== 'number' || d.minimum > 1) return undefined;
          min = Math.max(min, d.minimum);
        }
        return min === 0 ? `typeof ${x} === "string"` : `(typeof ${x} === "string" && ${x}.length >= ${min})`;
      }
      case 'number':
        return numberExpr(checks, x);
      case 'boolean':
        return checks.length ? undefined : `typeof ${x} === "boolean"`;
      case 'null':
        return `${x} === null`;
      case 'unknown':
      case 'any':
        return checks.length ? undefined : 'true';
      case 'enum':
      case 'literal': {
        const values = def.type === 'enum' ? Object.values(def.entries as Record<string, unknown>) : (def.values as unknown[]);
        if (checks.length || values.length === 0 || !values.every(comparable)) return undefined;
        return `(${values.map((v) => `${x} === ${lit(v)}`).join(' || ')})`;
      }
      case 'optional': {
        const e = inner();
        return e && `(${x} === undefined || ${e})`;
      }
      case 'nullable': {
        const e = inner();
        return e && `(${x} === null || ${e})`;
      }
      case 'default': {
        // an absent value would be filled in: only a present one is returned as it is
        const e = inner();
        return e && `(${x} !== undefined && ${e})`;
      }
      case 'array':
      case 'record':
      case 'object':
      case 'union': {
        const name = checks.length ? undefined : this.composite(schema);
        return name && `${name}(${x})`;
      }
      default:
        return undefined;
    }
  }

  /** The function checking an array, record, object or union (without checks of its own). */
  composite(schema: unknown): string | undefined {
    const def = defOf(schema);
    switch (def.type) {
      case 'array': {
        const e = this.expr(def.element, 'x');
        return e && this.add((name) => `function ${name}(v) {\n  if (!isArray(v)) return false;\n  for (let i = 0; i < v.length; i++) { const x = v[i]; if (!(${e})) return false; }\n  return true;\n}`);
      }
      case 'record': {
        const key = defOf(def.keyType);
        if (key.type !== 'string' || key.checks?.length) return undefined;
        const e = this.expr(def.valueType, 'x');
        return e && this.add((name) => `function ${name}(v) {\n  ${PLAIN('v')}\n  for (const k in v) { if (k === "__proto__") return false; const x = v[k]; if (!(${e})) return false; }\n  return true;\n}`);
      }
      case 'object':
        return this.object(schema, false);
      case 'union':
        return this.union(def);
      default:
        return undefined;
    }
  }

  /** A union whose options cannot depend on order, or objects told apart by a required literal field. */
  union(def: Def): string | undefined {
    // only options whose acceptance cannot depend on order (no object stripped one way or another)
    // or objects told apart by a required literal field (at most one of them can accept a value)
    const options = def.options as unknown[];
    if (!options.every((o) => ['string', 'number', 'boolean', 'enum', 'literal', 'null'].includes(defOf(o).type)) && !discriminated(options)) return undefined;
    const each = options.map((o) => this.expr(o, 'x'));
    if (each.some((e) => e === undefined)) return undefined;
    return this.add((name) => `function ${name}(x) { return ${each.join(' || ')}; }`);
  }

  /** An object in strip mode: its known keys in the shape's order (or, `anyOrder`, in any order). */
  object(schema: unknown, anyOrder: boolean): string | undefined {
    const def = defOf(schema);
    if (def.catchall !== undefined || def.checks?.length) return undefined; // only strip mode, no refinements
    const shape = def.shape as Record<string, unknown>;
    const fields: { key: string; check: string; optional: boolean }[] = [];
    for (const key of Object.keys(shape)) {
      if (key in HELPERS.OP) return undefined; // an absent key would read Object.prototype's
      const check = this.expr(shape[key], 'x');
      if (check === undefined) return undefined;
      fields.push({ key: lit(key), check, optional: defOf(shape[key]).type === 'optional' });
    }
    // a present key: an optional field may hold undefined (zod keeps it), a required one may not
    const value = (f: (typeof fields)[number]) => f.optional ? `x !== undefined && !(${f.check})` : `x === undefined || !(${f.check})`;
    if (anyOrder) {
      // in the shape's order when each key comes after the one before it in the shape (all are known, none twice)
      if (fields.length <= 30) {
        // each value checked as its key passes, read as v[k] (V8 reads a for-in's own key by the object's
        // layout, not through a lookup by name); the keys seen noted as bits: an absent optional one is not
        // looked up (through the prototype) at all, an absent required one is a bit missing at the end
        const required = fields.reduce((m, f, i) => (f.optional ? m : m + 2 ** i), 0);
        const known = fields.map((f, i) => `case ${f.key}: x = v[k]; if (x === undefined || !(${f.check})) return 0; if (${i} < last) order = 2; last = ${i}; seen |= ${2 ** i}; break;`).join('\n    ');
        return this.add((name) => `function ${name}(v) {\n  ${PLAIN('v', '0')}\n  let last = -1, order = 1, seen = 0, x;\n  for (const k in v) switch (k) {\n    ${known}\n    default: return 0;\n  }\n  return (seen & ${required}) === ${required} ? order : 0;\n}`);
      }
      const known = fields.map((f, i) => `case ${f.key}: if (${i} < last) order = 2; last = ${i}; break;`).join(' ');
      const values = fields.map((f) => `  x = v[${f.key}]; if (x === undefined ? ${f.optional ? `${f.key} in v` : 'true'} : !(${f.check})) return 0;`);
      return this.add((name) => `function ${name}(v) {\n  ${PLAIN('v', '0')}\n  let last = -1, order = 1, x;\n  for (const k in v) switch (k) { ${known} default: return 0; }\n${values.join('\n')}\n  return order;\n}`);
    }
    // zod returns the known keys in the shape's order: only a value already so is returned as it is.
    // One pass over the value's keys, walking the shape alongside (state j: the fields before j are
    // passed): a field passed over must be optional (absent), a key not found further on is unknown
    // or out of order.
    const n = fields.length;
    const states: string[] = [];
    for (let j = 0; j < n; j++) {
      const tries: string[] = [];
      for (let i = j; i < n; i++) {
        const f = fields[i]!;
        tries.push(`if (k === ${f.key}) { x = v[k]; if (${value(f)}) return false; j = ${i + 1}; continue; }`); // v[k]: read by layout (above)
        if (!f.optional) break;
      }
      states.push(`      case ${j}: ${tries.join(' ')} return false;`);
    }
    let tail = n; // from here on every field is optional: a value may end there
    while (tail > 0 && fields[tail - 1]!.optional) tail--;
    return this.add((name) => `function ${name}(v) {\n  ${PLAIN('v')}\n  let j = 0, x;\n  for (const k in v) {\n    switch (j) {\n${states.join('\n')}\n      default: return false;\n    }\n  }\n  return j >= ${tail};\n}`);
  }
}

/** Objects with a common key that each pins to a literal, no two sharing a value. */
function discriminated(options: unknown[]): boolean {
  const defs = options.map(defOf);
  if (!defs.every((d) => d.type === 'object')) return false;
  const shapes = defs.map((d) => d.shape as Record<string, unknown>);
  return Object.keys(shapes[0]!).some((key) => {
    const seen = new Set<unknown>();
    for (const shape of shapes) {
      const field = shape[key] === undefined ? undefined : defOf(shape[key]);
      if (field?.type !== 'literal') return false;
      for (const v of field.values as unknown[]) {
        if (seen.has(v)) return false;
        seen.add(v);
      }
    }
    return true;
  });
}

/** A number within the schema's bounds (safe integer or finite), or undefined for checks it cannot mirror. */
function numberExpr(checks: NonNullable<Def['checks']>, x: string): string | undefined {
  let int = false;
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  for (const c of checks) {
    const d = c._zod.def;
    const bound = d.value;
    if (d.check === 'number_format' && d.format === 'safeint') int = true;
    else if (typeof bound !== 'number' || Number.isNaN(bound)) return undefined;
    else if (d.check === 'greater_than' && bound >= lo) { // the stricter of two floors
      loIn = d.inclusive === true && (bound > lo || loIn);
      lo = bound;
    } else if (d.check === 'less_than' && bound <= hi) {
      hiIn = d.inclusive === true && (bound < hi || hiIn);
      hi = bound;
    } else if (d.check !== 'greater_than' && d.check !== 'less_than') return undefined;
  }
  const parts = [`typeof ${x} === "number"`, int ? `isSafe(${x})` : `isFin(${x})`];
  // a bound of ±Infinity only says what isFin/isSafe say already, except one that shuts everything out
  if (lo === Infinity || hi === -Infinity) return 'false';
  if (lo !== -Infinity) parts.push(`${x} ${loIn ? '>=' : '>'} ${lo}`);
  if (hi !== Infinity) parts.push(`${x} ${hiIn ? '<=' : '<'} ${hi}`);
  return `(${parts.join(' && ')})`;
}
