// A fast path for decoding: a plain predicate compiled once from a zod schema that answers true only
// when the schema would accept the value *and* return it unchanged (same keys, same order, no default
// to fill, no unknown key to strip). Such a value can be used as it is, without zod building a copy
// of it. Anything else — a value it rejects, or a schema it does not understand — answers false (or
// compiles to undefined), and the caller takes zod's full parse, with zod's reasons.
//
// Understood: string (min_length ≤ 1), number (int, >, >=, <, <=), boolean, null, unknown/any, enum,
// primitive literal, optional, nullable, default (present values only), array, record with string
// keys, strip-mode object, and unions of primitives or of objects told apart by a literal field. Anything else makes the schema unsupported.
import type * as z from 'zod';

export type ExactCheck = (value: unknown) => boolean;

type Def = { type: string; checks?: { _zod: { def: CheckDef } }[] } & Record<string, unknown>;
type CheckDef = { check: string; format?: string; value?: unknown; inclusive?: boolean; minimum?: number };

const cache = new WeakMap<object, ExactCheck | null>();

/**
 * The exact check of `schema`, or undefined when it uses something the compiler does not know.
 * With `anyOrder`, an object schema at the top accepts its keys in any order: the caller must then
 * rebuild the value in the shape's order to have what zod would return.
 */
export function exactCheck(schema: z.ZodType, opts: { anyOrder?: boolean } = {}): ExactCheck | undefined {
  if (opts.anyOrder) return compile(schema, true);
  const hit = cache.get(schema);
  if (hit !== undefined) return hit ?? undefined;
  const compiled = compile(schema);
  cache.set(schema, compiled ?? null);
  return compiled;
}

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

function compile(schema: unknown, anyOrder = false): ExactCheck | undefined {
  const def = defOf(schema);
  const checks = def.checks ?? [];
  switch (def.type) {
    case 'string': {
      let min = 0;
      for (const c of checks) {
        const d = c._zod.def;
        // zod counts code points; with a floor of 0 or 1 that is the same as counting UTF-16 units
        if (d.check !== 'min_length' || typeof d.minimum !== 'number' || d.minimum > 1) return undefined;
        min = Math.max(min, d.minimum);
      }
      return min === 0 ? (v) => typeof v === 'string' : (v) => typeof v === 'string' && v.length >= min;
    }
    case 'number':
      return compileNumber(checks);
    case 'boolean':
      return checks.length ? undefined : (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'unknown':
    case 'any':
      return checks.length ? undefined : () => true;
    case 'enum': {
      if (checks.length) return undefined;
      const values = Object.values(def.entries as Record<string, unknown>);
      if (!values.every((x) => typeof x === 'string' || typeof x === 'number')) return undefined;
      const set: ReadonlySet<unknown> = new Set(values);
      return (v) => set.has(v);
    }
    case 'literal': {
      const values = def.values as unknown[];
      if (checks.length || !values.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) return undefined;
      const set: ReadonlySet<unknown> = new Set(values);
      return (v) => set.has(v);
    }
    case 'optional': {
      const inner = compile(def.innerType);
      return inner && !checks.length ? (v) => v === undefined || inner(v) : undefined;
    }
    case 'nullable': {
      const inner = compile(def.innerType);
      return inner && !checks.length ? (v) => v === null || inner(v) : undefined;
    }
    case 'default': {
      // an absent value would be filled in: only a present one is returned as it is
      const inner = compile(def.innerType);
      return inner && !checks.length ? (v) => v !== undefined && inner(v) : undefined;
    }
    case 'array': {
      const element = compile(def.element);
      if (!element || checks.length) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'record': {
      const key = defOf(def.keyType);
      const value = compile(def.valueType);
      if (key.type !== 'string' || key.checks?.length || !value || checks.length) return undefined;
      return (v) => {
        if (!isPlainObject(v)) return false;
        const o = v as Record<string, unknown>;
        for (const k in o) if (k === '__proto__' || !value(o[k])) return false;
        return true;
      };
    }
    case 'object':
      return compileObject(def, checks, anyOrder);
    case 'union':
      return compileUnion(def, checks);
    default:
      return undefined;
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

function isPlainObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A number within the schema's bounds (safe integer or finite), or undefined for checks it cannot mirror. */
function compileNumber(checks: NonNullable<Def['checks']>): ExactCheck | undefined {
  let int = false;
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  for (const c of checks) {
    const d = c._zod.def;
    const bound = typeof d.value === 'number' ? d.value : NaN;
    if (d.check === 'number_format' && d.format === 'safeint') int = true;
    else if (d.check === 'greater_than' && bound >= lo) { // the stricter of two floors
      loIn = d.inclusive === true && (bound > lo || loIn);
      lo = bound;
    } else if (d.check === 'less_than' && bound <= hi) {
      hiIn = d.inclusive === true && (bound < hi || hiIn);
      hi = bound;
    } else return undefined;
  }
  return (v) => typeof v === 'number' && (int ? Number.isSafeInteger(v) : Number.isFinite(v))
    && (loIn ? v >= lo : v > lo) && (hiIn ? v <= hi : v < hi);
}

/** An object in strip mode: its known keys in the shape's order (or, `anyOrder`, in any order). */
function compileObject(def: Def, checks: NonNullable<Def['checks']>, anyOrder: boolean): ExactCheck | undefined {
  if (def.catchall !== undefined || checks.length) return undefined; // only strip mode, no refinements
  const shape = def.shape as Record<string, unknown>;
  const fields: { key: string; check: ExactCheck; optional: boolean }[] = [];
  for (const k of Object.keys(shape)) {
    const check = compile(shape[k]);
    if (!check) return undefined;
    fields.push({ key: k, check, optional: defOf(shape[k]).type === 'optional' });
  }
  const n = fields.length;
  if (anyOrder) {
    const index = new Map(fields.map((f, i) => [f.key, i]));
    return (v) => {
      if (!isPlainObject(v)) return false;
      const o = v as Record<string, unknown>;
      for (const k in o) if (!index.has(k)) return false;
      for (const f of fields) {
        const x = o[f.key];
        if (x === undefined ? !f.optional || f.key in o : !f.check(x)) return false;
      }
      return true;
    };
  }
  // zod returns the known keys in the shape's order: only a value already so is returned as it is.
  // One pass over the value's keys, walking the shape alongside: a field passed over must be optional
  // (absent), a key not found further on is unknown or out of order.
  return (v) => {
    if (!isPlainObject(v)) return false;
    const o = v as Record<string, unknown>;
    let j = 0;
    for (const k in o) {
      for (;;) {
        if (j === n) return false;
        const f = fields[j++]!;
        if (f.key === k) {
          const x = o[k];
          if (x === undefined ? !f.optional : !f.check(x)) return false;
          break;
        }
        if (!f.optional) return false;
      }
    }
    while (j < n) if (!fields[j++]!.optional) return false;
    return true;
  };
}

/** A union whose options cannot depend on order, or objects told apart by a required literal field. */
function compileUnion(def: Def, checks: NonNullable<Def['checks']>): ExactCheck | undefined {
  // only options whose acceptance cannot depend on order (no object stripped one way or another)
  // or objects told apart by a required literal field (at most one of them can accept a value)
  const options = def.options as unknown[];
  if (checks.length) return undefined;
  if (!options.every((o) => ['string', 'number', 'boolean', 'enum', 'literal', 'null'].includes(defOf(o).type)) && !discriminated(options)) return undefined;
  const compiled = options.map((o) => compile(o));
  if (compiled.some((c) => !c)) return undefined;
  const all = compiled as ExactCheck[];
  return (v) => all.some((c) => c(v));
}
