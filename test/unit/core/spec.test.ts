// Spec hashing: canonical (key order never matters), versioned, and sensitive to every value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSpecs, specHash } from '../../../src/core/spec.js';
import type { ContainerSpec } from '../../../src/core/spec-schema.js';

const base: ContainerSpec = {
  app: 'a', name: 'a', image: 'img:1', network: 'net', cmd: [], ports: [], volumes: [],
  env: { A: '1', B: '2' }, secretEnv: {}, files: {}, stopTimeout: 10, devices: [],
  resources: {}, security: { capAdd: [], capDrop: [], readOnlyRoot: false, noNewPrivileges: false },
};

const shuffled = <T extends object>(o: T, order: number[]): T => {
  const entries = Object.entries(o);
  if (entries.length === 0) return o;
  return Object.fromEntries(order.map((i) => entries[i % entries.length]!).concat(entries)) as T;
};

describe('spec hash', () => {
  it('given the same spec with keys in any order, when hashed, then the hash is the same', () => {
    fc.assert(fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string()),
      fc.array(fc.nat()),
      (env, order) => {
        const a = { ...base, env };
        const b = shuffled({ ...base, env: shuffled(env, order) }, order);
        expect(specHash(b)).toBe(specHash(a));
      },
    ));
  });

  it('given two specs differing in one env value, when hashed, then the hashes differ and the diff names that key', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (x, y) => {
      fc.pre(x !== y);
      const a = { ...base, env: { ...base.env, K: x } };
      const b = { ...base, env: { ...base.env, K: y } };
      expect(specHash(a)).not.toBe(specHash(b));
      expect(diffSpecs(a, b)).toEqual([{ field: 'env.K', from: x, to: y }]);
    }));
  });

  it('given a rotated secret, when diffed, then no hash or value of it is shown', () => {
    const a = { ...base, secretEnv: { PW: { secret: 'pw', hash: 'h1' } } };
    const b = { ...base, secretEnv: { PW: { secret: 'pw', hash: 'h2' } } };
    expect(diffSpecs(a, b)).toEqual([{ field: 'secretEnv.PW', from: '(secret changed)', to: '(secret changed)' }]);
  });
});
