// The hand-written manifest parse (src/core/manifest/fast-parse.ts) against zod, its oracle:
// whatever it answers must be zod's result, down to key order and keys present; where it is not sure
// it must say so (and parseManifest then answers as zod, errors included). On generated manifests
// with every field of the schema (manifest-arbitraries.ts), on those one change away (values near
// every edge, hostile keys, non-JSON values), and on any JSON value.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../../src/core/manifest/fast-parse.js';
import { parseManifest, zodParse } from '../../../src/core/manifest-parse.js';
import type { Manifest } from '../../../src/core/manifest/schema.js';
import { keyPaths, paths, replaced, replacement } from './mutate.js';
import { RUNS } from './support.js';
import { hostileKeys, manifestish } from './manifest-arbitraries.js';

function agrees(raw: unknown): void {
  const oracle = zodParse(raw);
  const fast = fastParse(raw);
  if (fast !== undefined) {
    expect(oracle.ok).toBe(true);
    const z = oracle.ok ? oracle.manifest : undefined;
    expect(isDeepStrictEqual(fast, z)).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(z));
    expect(keyPaths(fast)).toEqual(keyPaths(z));
  }
  expect(parseManifest(raw)).toStrictEqual(oracle);
}

const covered = manifestish;

describe('manifest fast parse, against zod', () => {
  it('on manifests of the shape it covers, valid or nearly, it answers as zod', () => {
    fc.assert(fc.property(covered, (m) => agrees(m)), RUNS);
  });

  it('the generated manifests are often its own to answer, every field included (the properties are not vacuous)', () => {
    const answered = fc.sample(covered, { numRuns: 2000, seed: 1 }).flatMap((m) => fastParse(m) ?? []);
    expect(answered.length).toBeGreaterThan(200);
    const c = (m: Manifest) => m.container;
    const seen: Record<string, (m: Manifest) => boolean> = {
      build: (m) => c(m).build !== undefined,
      host_ip: (m) => c(m).ports.some((p) => p.host_ip !== undefined),
      bind: (m) => c(m).volumes.some((v) => v.type === 'bind'),
      volume: (m) => c(m).volumes.some((v) => v.type === 'volume'),
      tmpfs: (m) => c(m).volumes.some((v) => v.type === 'tmpfs' && v.size !== undefined),
      http: (m) => c(m).health_check?.type === 'http',
      tcp: (m) => c(m).health_check?.type === 'tcp',
      exec: (m) => c(m).health_check?.type === 'exec',
      hostname: (m) => c(m).hostname !== undefined,
      user: (m) => c(m).user !== undefined,
      data_uid: (m) => c(m).data_uid !== undefined,
      devices: (m) => c(m).devices.length > 0,
      resources: (m) => c(m).resources.memory !== undefined || c(m).resources.cpus !== undefined,
      security: (m) => c(m).security.cap_add.length + c(m).security.cap_drop.length > 0,
      files: (m) => m.files.length > 0,
    };
    for (const [what, has] of Object.entries(seen)) expect([what, answered.filter(has).length > 3]).toEqual([what, true]);
  });

  it('covers the common shape: a plain valid manifest is its own answer, not zod\'s', () => {
    const m = { app: { id: 'a', name: 'a', version: '1' }, container: { image: 'img/a:1', environment: { A: 1, B: true }, derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }] }, dependencies: ['b', { app: 'c' }] };
    expect(fastParse(m)).toBeDefined();
    agrees(m);
  });

  it('one change away (a value replaced or removed, keys reordered, an unknown key), it answers as zod', () => {
    const near = covered.chain((m) => fc.tuple(fc.constant(m), fc.constantFrom(...paths(m)), replacement, fc.constantFrom('set' as const, 'delete' as const, 'reorder' as const, 'extra' as const)));
    fc.assert(fc.property(near, ([m, at, by, how]) => agrees(replaced(m, at, by, how))), RUNS);
  });

  it('with hostile or non-JSON values anywhere (own __proto__ keys, holes, undefined, other prototypes), it answers as zod', () => {
    const sparse = (): unknown[] => { const a: unknown[] = ['x']; a[2] = 'y'; return a; };
    const odd = fc.oneof(hostileKeys, fc.constantFrom(undefined, NaN, -Infinity, -0, 10n, Symbol('s')), fc.constant(null).map(() => sparse()), fc.constant(null).map(() => Object.assign(Object.create(null) as object, { A: '1' })), fc.constant(null).map(() => new Date(0)));
    const near = covered.chain((m) => fc.tuple(fc.constant(m), fc.constantFrom(...paths(m)), odd));
    fc.assert(fc.property(near, ([m, at, by]) => {
      const copy = replaced(m, at, null, 'set');
      let node = copy as Record<string | number, unknown>;
      for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
      if (at.length > 0) node[at.at(-1)!] = by;
      agrees(at.length > 0 ? copy : by);
    }), RUNS);
  });

  it('on any JSON value, it answers as zod', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => agrees(v)), RUNS);
    fc.assert(fc.property(covered, fc.jsonValue({ maxDepth: 2 }), (m, v) => agrees({ ...m, container: v })), RUNS);
  });
});
