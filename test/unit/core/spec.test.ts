// Spec hashing: canonical (key order never matters), versioned, and sensitive to every value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/core/hash.js';
import { diffSpecs, renderedFileMode, resolveSpec, specHash } from '../../../src/core/spec.js';
import type { ContainerSpec } from '../../../src/core/spec-schema.js';
import type { State } from '../../../src/core/state.js';
import { manifest, parsed } from './builders.js';

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

describe('rendered file modes', () => {
  it('given a mode, when the mode is asked, then it is that mode, secret or not', () => {
    expect(renderedFileMode({ mode: '0640' }, 'pw={{secret:pw}}')).toBe('0640');
    expect(renderedFileMode({ mode: '0644' }, 'pw={{secret:pw}}')).toBe('0644');
  });

  it('given no mode, when the mode is asked, then it is 0600 for a template with a secret and 0644 otherwise', () => {
    expect(renderedFileMode({}, 'pw={{secret:pw}}')).toBe('0600');
    expect(renderedFileMode({ mode: undefined }, 'pw={{ secret:pw }}\n')).toBe('0600');
    expect(renderedFileMode({}, 'ip={{HOST_IP}}')).toBe('0644');
    expect(renderedFileMode({}, 'plain text, secret:pw but no placeholder')).toBe('0644');
  });

  const state: Pick<State, 'facts' | 'secrets'> = { facts: { HOST_IP: { value: '10.0.0.5', seq: 1 } }, secrets: { pw: { hash: 'keyed', seq: 1 } } };
  const fileHash = (template: string, mode?: string) => {
    const file = { path: '/srv/web/a.conf', template: 'a.tmpl', ...(mode ? { mode } : {}) };
    const m = parsed(manifest('web', { volumes: [{ type: 'bind', source: '/srv/web', target: '/conf' }] }, { files: [file] }));
    const r = resolveSpec({ id: 'web', path: 'apps/web', manifest: m, manifestSeq: 1, templates: { 'a.tmpl': template } }, state);
    if (!r.ok) throw new Error(JSON.stringify(r.reasons));
    return r.spec.files['/srv/web/a.conf'];
  };

  it('given a file without a mode, when its spec is resolved, then it hashes as when the mode defaulted to 0644, or as 0600 when it holds a secret', () => {
    expect(fileHash('ip={{HOST_IP}}')).toBe(sha256('0644\nip=10.0.0.5'));
    expect(fileHash('ip={{HOST_IP}}')).toBe(fileHash('ip={{HOST_IP}}', '0644'));
    expect(fileHash('pw={{secret:pw}}')).toBe(sha256('0600\npw=secret-hash:keyed'));
    expect(fileHash('pw={{secret:pw}}', '0644')).toBe(sha256('0644\npw=secret-hash:keyed'));
  });
});
