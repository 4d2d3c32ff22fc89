// The fold's parse of a ManifestObserved manifest, remembered by the manifest's content. A log
// observes the same few manifests again and again (every daemon start, every resync), and zod's
// parse of one costs 200–800 µs until the JIT has warmed to it: a quarter of the fold of a 300k-event
// export (docs/benchmarks.md, issue 15).
//
// Keyed by the content itself (`plainKey`), never by the hash the event claims: a log is untrusted,
// and a claimed hash may name a manifest other than the one written next to it. Pure: the same
// content always gives an equal result, so whether a parse was remembered changes nothing but the
// time; a result is frozen before it is shared by a second app state (or state).
import { ManifestSchema, type Manifest } from './manifest/schema.js';

/** A manifest as the fold keeps it, or why today's schema refuses it. */
export type ManifestParse =
  | { readonly ok: true; readonly manifest: Manifest }
  | { readonly ok: false; readonly issues: readonly { readonly path: string; readonly message: string }[] };

/** At most this many parses are remembered (a node has tens of apps, each with a few versions)... */
export const MEMO_ENTRIES = 256;
/** ...and at most this many characters of keys, so a few huge manifests cannot hold much memory. */
export const MEMO_CHARS = 4 * 1024 * 1024;

const memo = new Map<string, ManifestParse>(); // in least recently used order, first
let chars = 0;

/** `ManifestSchema.safeParse(raw)`, as the fold keeps it: remembered by content when `raw` is plain JSON data. */
export function parseManifest(raw: unknown): ManifestParse {
  const key = plainKey(raw);
  if (key === undefined || key.length > MEMO_CHARS / 4) return parseNow(raw);
  const hit = memo.get(key);
  if (hit) {
    memo.delete(key);
    memo.set(key, hit);
    // frozen when first shared: a parse no other event repeats is frozen, if it lasts, with the state holding it
    if (!Object.isFrozen(hit)) deepFreeze(hit);
    return hit;
  }
  const parsed = parseNow(raw);
  memo.set(key, parsed);
  chars += key.length;
  for (const [old] of memo) {
    if (memo.size <= MEMO_ENTRIES && chars <= MEMO_CHARS) break;
    memo.delete(old);
    chars -= old.length;
  }
  return parsed;
}

/** How many parses are remembered now (for tests). */
export const memoSize = (): number => memo.size;

function parseNow(raw: unknown): ManifestParse {
  const parsed = ManifestSchema.safeParse(raw);
  return (parsed.success
    ? { ok: true, manifest: parsed.data }
    : { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}

/**
 * A string that only equal JSON data maps to (JSON.stringify, keys in their order), or undefined for
 * what JSON.stringify would conflate or drop — undefined, NaN, ±Infinity (both "null"), -0 ("0"), a
 * hole, a function, a symbol, an object that is not plain — which is then parsed every time. Values
 * fresh from JSON.parse (a log's) are always JSON data, but for numbers too large for a double, which
 * become Infinity. Accessors and symbol keys, which neither JSON.parse nor zod makes, are not looked
 * for: the fold's manifests come from one or the other.
 */
export function plainKey(value: unknown): string | undefined {
  return isPlain(value, 0) ? JSON.stringify(value) : undefined;
}

const MAX_DEPTH = 64; // deeper is not a manifest; not remembered (and no deep recursion here)

function isPlain(v: unknown, depth: number): boolean {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return true;
  if (typeof v === 'number') return Number.isFinite(v) && (v !== 0 || 1 / v > 0);
  if (typeof v !== 'object' || depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) if (!isPlain(v[i], depth + 1)) return false; // a hole reads undefined
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) if (!isPlain((v as Record<string, unknown>)[k], depth + 1)) return false; // own keys: no enumerable ones are inherited
  return true;
}

/** Freeze all of it, inside out: a result frozen on the outside is frozen within. */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  Object.freeze(value);
}
