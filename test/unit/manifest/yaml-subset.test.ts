// The YAML subset reader (src/core/manifest/yaml-subset.ts) on hostile text: huge, flat or deep,
// long lines, many keys, prototype names. It never throws nor recurses, and parseManifest answers
// as its plain path (parseManifestPlain) does. The comparison with yaml on generated text is in
// test/unit/fuzz/yaml-subset.test.ts.
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readSubset } from '../../../src/core/manifest/yaml-subset.js';
import { MANIFEST_MAX_BYTES, MAX_MAP_KEYS, MAX_NESTING, parseManifest, parseManifestPlain } from '../../../src/manifest/parse.js';

const FILE = 'apps/x/manifest.yml';

/** parseManifest's answer is its plain path's (positions of the root and a missing field included). */
function sameAsPlain(text: string): void {
  const { locate: l1, ...fast } = parseManifest(text, FILE, 'x');
  const { locate: l2, ...plain } = parseManifestPlain(text, FILE, 'x');
  expect(fast).toStrictEqual(plain);
  for (const p of [[], ['app', 'id'], ['nope', 3]]) expect(l1(p)).toEqual(l2(p));
}

/** When the reader answers, yaml reads the same value with no error. */
function asYaml(text: string): unknown {
  const mine = readSubset(text);
  if (mine !== undefined) {
    const doc = parseDocument(text, { uniqueKeys: true });
    expect(doc.errors).toEqual([]);
    expect(isDeepStrictEqual(mine, doc.toJS())).toBe(true);
  }
  return mine;
}

const manifest = 'app: { id: x, name: x, version: "1" }\ncontainer:\n  image: img/x:1\n';

describe('the YAML subset reader on hostile text', () => {
  it('given a manifest of many environment variables, up to the size limit, when read, then it answers, and parseManifest refuses the mapping past MAX_MAP_KEYS as the plain path does', () => {
    const keys = Array.from({ length: 14_000 }, (_, i) => `    K${i}: v${i}\n`).join('');
    const text = `${manifest}  environment:\n${keys}`.slice(0, MANIFEST_MAX_BYTES - 64).replace(/[^\n]*$/, '');
    const read = readSubset(text) as { container: { environment: object } };
    expect(Object.keys(read.container.environment).length).toBeGreaterThan(10_000);
    const refused = parseManifest(text, FILE, 'x');
    expect(refused.ok ? [] : refused.errors.map((e) => e.message)).toEqual([expect.stringMatching(`^a mapping with more than ${MAX_MAP_KEYS} keys`)]);
    // yaml takes seconds over the whole: compared on a quarter of it.
    const quarter = text.slice(0, MANIFEST_MAX_BYTES / 4).replace(/[^\n]*$/, '');
    asYaml(quarter);
    sameAsPlain(quarter);
  });

  it('given hundreds of unknown keys (as many as a mapping may hold), when parsed, then each has its error at its own line, without a search of the map per key', () => {
    const n = MAX_MAP_KEYS - 2; // with app and container
    const text = `${manifest}${Array.from({ length: n }, (_, i) => `k${i}: v\n`).join('')}`;
    const r = parseManifestPlain(text, FILE, 'x');
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.length).toBe(n);
    expect(errors.every((e, i) => e.line === i + 4 && e.col === 1 && e.path === `k${i}`)).toBe(true);
    expect(r.locate(['k7', 'x'])).toEqual({ line: 11, col: 1 });
  });

  it('given a text over the size limit, when parsed, then it is refused for its size as before', () => {
    const text = `${manifest}description: ${'x'.repeat(MANIFEST_MAX_BYTES)}\n`;
    const r = parseManifest(text, FILE, 'x');
    expect(r.ok).toBe(false);
    sameAsPlain(text);
  });

  it('given block nesting far deeper than a manifest needs, when read, then it leaves it to yaml, which refuses it as before', () => {
    const deep = Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}a:\n`).join('');
    expect(readSubset(deep)).toBeUndefined();
    const seqs = Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}-\n`).join('');
    expect(readSubset(`a:\n${seqs.replace(/^/gm, ' ')}`)).toBeUndefined();
    sameAsPlain(deep);
    sameAsPlain(`${manifest}  labels:\n${deep.replace(/^/gm, '    ')}`);
  });

  it('given nesting just within MAX_NESTING, when read, then it answers or not, as yaml would', () => {
    for (const depth of [MAX_NESTING - 10, MAX_NESTING - 8, MAX_NESTING, MAX_NESTING + 1]) {
      const block = Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:\n`).join('') + `${' '.repeat(depth)}b: 1\n`;
      asYaml(block);
      sameAsPlain(block);
      const flow = `a: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
      asYaml(flow);
      sameAsPlain(flow);
    }
  });

  it('given flow collections opened tens of thousands of times on one line, when read, then it stops at once', () => {
    for (const open of ['[', '{a: ', '[{a: ']) {
      const text = `a: ${open.repeat(20_000)}`;
      expect(readSubset(text)).toBeUndefined();
      sameAsPlain(text);
    }
  });

  it('given very long lines, when read, then it answers as yaml', () => {
    expect((asYaml(`a: ${'x'.repeat(100_000)}\n`) as { a: string }).a.length).toBe(100_000);
    expect((asYaml(`a: "${'\\u0041'.repeat(10_000)}"\n`) as { a: string }).a).toBe('A'.repeat(10_000));
    expect((asYaml(`a: '${"''".repeat(20_000)}'\n`) as { a: string }).a.length).toBe(20_000);
    const wide = `a: { ${Array.from({ length: 5_000 }, (_, i) => `k${i}: ${i}`).join(', ')} }\n`;
    expect(Object.keys((asYaml(wide) as { a: object }).a).length).toBe(5_000);
    for (const odd of [' #'.repeat(20_000), ':'.repeat(40_000), ': '.repeat(20_000), '- '.repeat(20_000), '"'.repeat(40_000)]) {
      asYaml(`a: ${odd}\n`);
      asYaml(`${odd}\n`);
      sameAsPlain(`${manifest}  ${odd}\n`);
    }
  });

  it('given many lines of a block scalar, when read, then it answers as yaml', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `    line ${i}\n`).join('');
    for (const header of ['|', '|-', '>', '>-']) expect(typeof (asYaml(`a:\n  b: ${header}\n${body}c: 1\n`) as { a: { b: unknown } }).a.b).toBe('string');
  });

  it('given keys named like Object.prototype\'s, when read, then they are own keys, as yaml makes them, and nothing is polluted', () => {
    const text = '__proto__: { polluted: 1 }\nconstructor: x\ntoString: [1]\nhasOwnProperty: ~\na: { __proto__: 1 }\n';
    const read = asYaml(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.keys(read)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    sameAsPlain(`${manifest}${text}`);
  });

  it('given a duplicate key, an alias, a tag or a second document, when read, then it leaves it to yaml, whose error parseManifest reports as before', () => {
    for (const text of [`${manifest}app: {}\n`, `${manifest}x: &a 1\ny: *a\n`, `${manifest}x: !!str 1\n`, `${manifest}---\nb: 1\n`, `${manifest}  image: other\n`]) {
      expect(readSubset(text)).toBeUndefined();
      sameAsPlain(text);
    }
  });
});
