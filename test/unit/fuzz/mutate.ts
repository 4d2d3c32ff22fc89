// Values one change away from valid ones, for the properties that hold a fast path to zod: one
// value replaced or removed, an object's keys reordered, an unknown key added (decode-owned.test.ts,
// exact-check.test.ts).
import fc from 'fast-check';

/** Every key of a value, by path, in order: keys present with the value undefined too. */
export function keyPaths(value: unknown, at = '$'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [`${at}.${k}`, ...keyPaths(v, `${at}.${k}`)]);
}

/** Every leaf and object of a JSON value, by path. */
export function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

export function replaced(value: unknown, at: (string | number)[], by: unknown, how: 'set' | 'delete' | 'reorder' | 'extra'): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> | undefined;
  let node: unknown = copy;
  for (const k of at) {
    parent = node as Record<string | number, unknown>;
    node = parent[k];
  }
  if (how === 'set') {
    if (!parent) return by;
    parent[at.at(-1)!] = by;
  } else if (how === 'delete') {
    if (parent && !Array.isArray(parent)) delete parent[at.at(-1)!];
  } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    const o = node as Record<string, unknown>;
    const entries = Object.entries(o);
    for (const k of Object.keys(o)) delete o[k];
    for (const [k, v] of how === 'reorder' ? entries.reverse() : entries) o[k] = v;
    if (how === 'extra') o.unexpected = by;
  }
  return copy;
}

export const replacement = fc.oneof(
  fc.constantFrom(undefined, 0, -1, 1, 1.5, 2 ** 53, -(2 ** 53), 8.64e15, 8.64e15 + 1, '', 'x', 'tmpfs', 'bind', 'start', 'running', 'healthy', null, true, [], {}, [1], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);
