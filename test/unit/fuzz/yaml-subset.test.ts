// The YAML subset reader (src/core/manifest/yaml-subset.ts) against yaml, its oracle: whenever it
// answers, yaml reads the text with no error or warning and toJS gives the same value, key order
// included; and parseManifest with it gives what it gives without it (parseManifestPlain): answer,
// errors, manifest, document, and the position of every field. On generated texts in many styles,
// on generated manifests, on the real manifests and those texts with characters edited.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../../src/core/manifest/fast-parse.js';
import { readSubset } from '../../../src/core/manifest/yaml-subset.js';
import { parseManifest, parseManifestPlain, type PathSegment } from '../../../src/manifest/parse.js';
import { manifestish } from './manifest-arbitraries.js';
import { keyPaths, paths } from './mutate.js';
import { RUNS, TIMEOUT } from './support.js';
import { edited, edits, render, tree, TOKENS, type Tree } from './yaml-render.js';
import { BUNDLED_MANIFESTS, TIER_MANIFESTS } from './real-manifests.js';

/** yaml's reading, as parseManifest's plain path does it; undefined when it reports anything. */
function yamlValue(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch {
    return undefined;
  }
}

/** When the reader answers, yaml agrees; true when it answered. */
function readsAsYaml(text: string): boolean {
  const mine = readSubset(text);
  if (mine === undefined) return false;
  const theirs = yamlValue(text);
  expect(theirs, JSON.stringify(text)).toBeDefined();
  expect(isDeepStrictEqual(mine, theirs?.value), JSON.stringify(text)).toBe(true);
  expect(keyPaths(mine)).toEqual(keyPaths(theirs?.value));
  return true;
}

/** parseManifest and parseManifestPlain alike, positions included; true when the subset reader answered. */
function parsesAsPlain(text: string, id: string): boolean {
  const fast = parseManifest(text, `apps/${id}/manifest.yml`, id);
  const plain = parseManifestPlain(text, `apps/${id}/manifest.yml`, id);
  const { locate: l1, ...a } = fast;
  const { locate: l2, ...b } = plain;
  expect(a).toStrictEqual(b);
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  if (a.ok && b.ok) expect(keyPaths(a.document)).toEqual(keyPaths(b.document));
  const doc = b.ok ? b.document : {};
  const asked: PathSegment[][] = [[], ['nope'], ['app', 'id'], ['container', 'ports', 0, 'host'], ...paths(doc).flatMap((p) => [p, [...p, 'missing']])];
  for (const p of asked) {
    expect(l1(p, 'value')).toEqual(l2(p, 'value'));
    expect(l1(p, 'key')).toEqual(l2(p, 'key'));
  }
  return readsAsYaml(text);
}

const idOf = (m: Record<string, unknown>) => {
  const id = (m.app as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : 'x';
};

const bundled = BUNDLED_MANIFESTS;
const tiers = TIER_MANIFESTS;
const real = [...bundled, ...tiers];

const styled = (wild: number) => fc.tuple(tree, fc.integer()).map(([t, seed]) => render(t, seed, { wild, faithful: false }));
const manifests = fc.tuple(manifestish, fc.integer(), fc.constantFrom(0, 0, 1, 2)).map(([m, seed, wild]) => ({ id: idOf(m), text: render(m as Tree, seed, { wild, faithful: true }) }));

describe('the YAML subset reader, against yaml', () => {
  it('given the bundled, demo and bench manifests, when read, then the subset reader answers each, as yaml, and parseManifest takes it', () => {
    expect(bundled.length).toBeGreaterThan(10);
    for (const { id, text } of real) {
      expect([id, readsAsYaml(text)]).toEqual([id, true]);
      expect([id, fastParse(readSubset(text))?.app.id]).toEqual([id, id]);
      expect([id, parsesAsPlain(text, id)]).toEqual([id, true]);
    }
  });

  it('given one plain scalar of every edge shape, as a value and as a key, when read, then it answers as yaml or not at all', () => {
    for (const t of TOKENS) {
      for (const text of [`k: ${t}\n`, `k: [${t}]\n`, `k: { a: ${t} }\n`, `${t}: v\n`, `- ${t}\n`, `k:\n  - ${t}\n`, `k: '${t}'\n`, `k: "${t}"\n`, `k: |\n  ${t}\n`, `k: >-\n  ${t}\n  ${t}\n`]) readsAsYaml(text);
    }
  });

  it('given block scalars and block layouts at their edges, when read, then it answers as yaml or not at all', () => {
    const texts = [
      'k: |\n  a\n    b\n  c\n', 'k: |\n  # x\n  y\n', 'k: |\n  a\n\n  b\n', 'k: >\n  a\n\n\n  b\n', 'k: |\n  a\n\n\nz: 1\n', 'k: |-\n  a\n\n',
      'k: >-\n  a\n  b\n', 'k: >\n  a\n    b\n', 'k: |\n    a\n  b\n', 'k: | #c\n  a\n', 'k: |#c\n  a\n', 'k: |\n  a', 'k: |\n\n  a\n', 'k: |\n  a \n',
      '- |\n  a\n', 'k:\n  - |\n   a\n', 'k:\n  - |\n    a\n  - b\n', 'k:\n- a\n- b\nc: 1\n', 'k:\n- a: 1\n  b: 2\n- c\nd:\n- e\n',
      'a[b]: c\n', 'a{b}: c\n', 'a,b: c\n', 'a]: c\n', "a'b: c\n", 'a"b: c\n', 'a b: c\n', 'a: b\n  c\n', 'a:\n  b\n', '- a\n  b\n', 'a: "b\n  c"\n',
    ];
    for (const text of texts) readsAsYaml(text);
    expect(texts.filter((t) => readSubset(t) !== undefined).length).toBeGreaterThan(12);
  });

  it('given trees written in many styles, when read, then whenever it answers yaml agrees, and it often answers', () => {
    let answered = 0;
    let total = 0;
    fc.assert(fc.property(styled(0), (text) => { total++; if (readsAsYaml(text)) answered++; }), RUNS);
    // Most trees hold a token or key the reader leaves to yaml (an alias, a non-string key…).
    expect(answered).toBeGreaterThan(total / 40); // ~10 % of random styled trees are in the subset: a bound 4 sd under it at 200 runs, so no seed misses it
    fc.assert(fc.property(fc.nat(4).chain(styled), (text) => { readsAsYaml(text); }), RUNS);
  }, TIMEOUT);

  it('given generated manifests written in many styles, when parsed, then parseManifest answers as parseManifestPlain, positions included', () => {
    let answered = 0;
    let total = 0;
    fc.assert(fc.property(manifests, ({ id, text }) => { total++; if (parsesAsPlain(text, id)) answered++; }), RUNS);
    expect(answered).toBeGreaterThan(total / 4);
  }, TIMEOUT);

  it('given the real manifests, generated ones and styled trees with characters edited, when read and parsed, then both agree with yaml and the plain path', () => {
    const texts = fc.oneof(fc.constantFrom(...real), manifests, styled(1).map((text) => ({ id: 'x', text })));
    fc.assert(fc.property(texts, edits, ({ id, text }, list) => { parsesAsPlain(edited(text, list), id); }), RUNS);
  }, TIMEOUT);
});
