// The checks the fast manifest parse (fast-parse.ts, fast-parts.ts) is built of: each answers a value
// exactly as zod makes it, or NO ("not sure", zod decides).
import { APP_ID, ENV_KEY } from './schema.js';
import { parseDuration, parseSize } from './units.js';

export type Obj = Record<string, unknown>;

/** "Not sure", so zod decides. */
export const NO = Symbol('not covered');
export type No = typeof NO;

/** A plain object as JSON.parse makes them; keys are then read with for-in, as own keys. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
export const isArr = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
export const str = (v: unknown): v is string => typeof v === 'string';
/** nonEmpty in schema.ts: min(1), then no NUL. */
export const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.includes('\0');
export const appId = (v: unknown): v is string => typeof v === 'string' && APP_ID.test(v);
export const envKey = (v: unknown): v is string => typeof v === 'string' && ENV_KEY.test(v);
export const port = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
/** A string matching `re`, or absent (an optional regex field). */
export const optMatch = (v: unknown, re: RegExp): boolean => v === undefined || (typeof v === 'string' && re.test(v));

/** A key zod's objects treat apart, or that would change what is built: left to zod. */
export const odd = (k: string) => k === '__proto__' || k === 'constructor';

/**
 * Every key of `o` is one of `keys`, with a value: a key given as undefined (not JSON, but an
 * object built in process may hold one) is kept by zod as a key, so it is left to zod.
 */
export function only(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k) || o[k] === undefined) return false;
  return true;
}
export const keys = (...names: string[]): ReadonlySet<string> => new Set(names);

export function strings(v: unknown): string[] | No {
  if (!isArr(v)) return NO;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (!nonEmpty(s)) return NO;
    out.push(s);
  }
  return out;
}

/** An array of strings each `ok` by `check` (undefined: no problem), as given. */
export function checkedStrings(v: unknown, check: (s: string) => string | undefined): string[] | No {
  if (!isArr(v)) return NO;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'string' || check(s) !== undefined) return NO;
    out.push(s);
  }
  return out;
}

export function oneOf<T extends string>(v: unknown, choices: readonly T[], fallback: T): T | No {
  if (v === undefined) return fallback;
  return typeof v === 'string' && (choices as readonly string[]).includes(v) ? v as T : NO;
}

export function bool(v: unknown, fallback: boolean): boolean | No {
  if (v === undefined) return fallback;
  return typeof v === 'boolean' ? v : NO;
}

/** A list whose every element is a plain object of only `allowed` keys that `item` covers; NO if one is not. */
export function objectList<T>(v: unknown, allowed: ReadonlySet<string>, item: (o: Obj) => T | No): T[] | No {
  if (!isArr(v)) return NO;
  const out: T[] = [];
  for (let i = 0; i < v.length; i++) {
    const o = v[i];
    if (!isObj(o) || !only(o, allowed)) return NO;
    const x = item(o);
    if (x === NO) return NO;
    out.push(x);
  }
  return out;
}

/** units.ts's duration(): z.union([string, number]) (z.number() refuses NaN and ±Infinity), then parseDuration; `fallback` is the prefault. */
export function duration(v: unknown, fallback: string): number | No {
  const t = v === undefined ? fallback : v;
  if (!(typeof t === 'string' || (typeof t === 'number' && Number.isFinite(t)))) return NO;
  const r = parseDuration(t);
  return r.ok ? r.value : NO;
}

/** units.ts's size(), given (it is optional wherever it is used). */
export function size(v: unknown): number | No {
  if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) return NO;
  const r = parseSize(v);
  return r.ok ? r.value : NO;
}
