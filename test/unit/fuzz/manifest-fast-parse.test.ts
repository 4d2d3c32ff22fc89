// The fold's hand-written manifest parse (src/core/manifest/fast-parse.ts) against zod, its oracle:
// whatever it answers must be zod's result, down to key order and keys present; where it is not sure
// it must say so (and parseManifest then answers as zod, errors included). On manifests of the shape it
// covers, on those one change away (values near every edge, hostile keys, non-JSON values), and on
// manifests with the parts it leaves to zod.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../../src/core/manifest/fast-parse.js';
import { parseManifest, zodParse } from '../../../src/core/manifest-parse.js';
import { keyPaths, paths, replaced, replacement } from './mutate.js';
import { RUNS } from './support.js';

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

// Leaves mostly valid, now and then at or past an edge of their check.
const edgy = <T, U>(valid: fc.Arbitrary<T>, edges: fc.Arbitrary<U>) => fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: edges });
const idish = edgy(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), fc.constantFrom('', 'A', '-a', 'a_b', 'a b', 'app\n', 'é'));
const textish = edgy(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('', 'a\0b', ' ', '\u0085'));
const envKeyish = edgy(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), fc.constantFrom('1A', 'A-B', '', '__proto__', 'constructor', 'toString', 'A'));
const imageish = edgy(
  fc.oneof(fc.constantFrom('img/app:1', 'docker.io/library/nginx:1.27', 'localhost:5000/a/b@sha256:' + 'a'.repeat(64)), fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9]{1,6})?(:[a-z0-9.]{1,4})?$/)),
  fc.constantFrom('IMG/x', '-x', 'a b', 'x:', 'a\u0001', 'x'.repeat(600), ''),
);
const networkish = edgy(fc.constantFrom('podledger', 'host', 'none', 'container:db', 'ns:/proc/1/ns/net', 'my.net'), fc.constantFrom('bridge', 'pod', 'container:', 'ns:rel', 'a:b', ''));
const durationish = edgy(fc.oneof(fc.constantFrom('10s', '1h30m', '500ms', ' 5m ', '1.5s'), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.nat()), fc.oneof(fc.constantFrom('5', '-1s', 's', '', '30S', 1e308, -1, -0), fc.double()));
const portish = edgy(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 65536, 1.5, -0, NaN, Infinity, '80', -1));
const templateish = fc.array(fc.oneof(textish, edgy(fc.constantFrom('{{HOST_IP}}', '{{ HOST_MDNS }}', '{{DISK_GB}}'), fc.constantFrom('{{secret:x}}', '{{NOPE}}', '{{', '}}'))), { maxLength: 3 }).map((p) => p.join(''));
const envValue = edgy(fc.oneof(textish, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), fc.constantFrom(-0, 1e21, null, NaN, Infinity, [], {}));
const secretFile = edgy(fc.constantFrom('db', 'pw.txt', 'x.y'), fc.constantFrom('a/b', '..', '', 'x..y'));
const opt = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
/** JSON.parse's objects: fast-check may otherwise make null-prototype ones (the hostile test makes those). */
const plain = { noNullPrototype: true } as const;
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const covered = fc.record({
  app: fc.record({ id: idish, name: textish, version: textish, description: opt(textish) }).map(defined),
  container: fc.record({
    image: imageish,
    pull_policy: opt(edgy(fc.constantFrom('missing', 'always', 'never'), fc.constant('sometimes'))),
    name: opt(idish),
    network: opt(networkish),
    entrypoint: opt(fc.array(textish, { maxLength: 2 })),
    command: opt(fc.array(textish, { maxLength: 2 })),
    custom_args: opt(fc.array(textish, { maxLength: 2 })),
    ports: opt(fc.array(fc.record({ host: portish, container: portish, protocol: opt(edgy(fc.constantFrom('tcp', 'udp'), fc.constant('sctp'))) }).map(defined), { maxLength: 2 })),
    environment: opt(fc.dictionary(envKeyish, envValue, { maxKeys: 3, noNullPrototype: true })),
    derived_env: opt(fc.array(fc.record({ key: envKeyish, template: templateish }, plain), { maxLength: 2 })),
    secret_env: opt(fc.array(fc.record({ key: envKeyish, secret_file: secretFile }, plain), { maxLength: 2 })),
    restart: opt(edgy(fc.constantFrom('always', 'on-failure', 'no'), fc.constant('never'))),
    stop_timeout: opt(durationish),
  }).map(defined),
  dependencies: opt(fc.array(fc.oneof(idish, fc.record({ app: idish, condition: opt(edgy(fc.constantFrom('started', 'healthy'), fc.constant('ready'))), restart: opt(edgy(fc.boolean(), fc.constant('yes'))) }).map(defined)), { maxLength: 2 })),
  files: opt(edgy(fc.constant([]), fc.constant([{ path: '/srv/x', template: 't' }]))),
}).map(defined);

/** Parts the fast path leaves to zod, valid and not. */
const uncovered = fc.constantFrom<[string, unknown]>(
  ['build', { context: '.' }], ['hostname', 'web'], ['volumes', []], ['volumes', [{ type: 'tmpfs', target: '/tmp' }]], ['data_uid', '1:1'], ['user', 'root'],
  ['devices', []], ['health_check', { type: 'tcp', port: 80 }], ['resources', {}], ['security', { cap_add: ['net_admin'] }], ['ports', [{ host: 1, container: 1, host_ip: '127.0.0.1' }]],
);

/** What JSON.parse can make that an object literal cannot: an own `__proto__` key. */
const hostileKeys = fc.constantFrom('{"__proto__":{"image":"x"}}', '{"__proto__":"A"}', '{"constructor":"x"}', '{"A":"1","__proto__":null}').map((t) => JSON.parse(t) as unknown);

describe('manifest fast parse, against zod', () => {
  it('on manifests of the shape it covers, valid or nearly, it answers as zod', () => {
    fc.assert(fc.property(covered, (m) => agrees(m)), RUNS);
  });

  it('the generated manifests are often its own to answer (the properties are not vacuous)', () => {
    const sample = fc.sample(covered, { numRuns: 400, seed: 1 });
    expect(sample.filter((m) => fastParse(m) !== undefined).length).toBeGreaterThan(100);
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

  it('with the parts it leaves to zod, it leaves them to zod', () => {
    fc.assert(fc.property(covered, uncovered, (m, [k, v]) => {
      const withPart = { ...m, container: { ...(m.container as object), [k]: v } };
      expect(fastParse(withPart)).toBeUndefined();
      agrees(withPart);
    }), RUNS);
  });

  it('on any JSON value, it answers as zod', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => agrees(v)), RUNS);
    fc.assert(fc.property(covered, fc.jsonValue({ maxDepth: 2 }), (m, v) => agrees({ ...m, container: v })), RUNS);
  });
});
