// The manifest reader (src/manifest/parse.ts) with its fast parse against itself without it (zod
// alone): the same answer, manifest, errors (file:line:col, path, message) and document, on the
// bundled and demo apps, on the bench's tier manifests, on generated manifests written as YAML, and
// on their text mangled. And the manifests of the usual shape never need zod's schema built.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { parseManifest } from '../../../src/manifest/parse.js';
import { manifestish } from './manifest-arbitraries.js';
import { BUNDLED_MANIFESTS, TIER_MANIFESTS } from './real-manifests.js';

const seen = vi.hoisted(() => ({ fast: true, answered: 0, schemaBuilt: 0 }));
vi.mock('../../../src/core/manifest/fast-parse.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/core/manifest/fast-parse.js')>();
  return {
    fastParse: (raw: unknown) => {
      const m = seen.fast ? real.fastParse(raw) : undefined;
      if (m) seen.answered++;
      return m;
    },
  };
});
vi.mock('../../../src/core/manifest/schema.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/core/manifest/schema.js')>();
  return { ...real, manifestSchema: () => { seen.schemaBuilt++; return real.manifestSchema(); } };
});

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 200) };
/** Per test: the unit project's 60 s, or more for a long `npm run fuzz` (a YAML case takes a few ms). */
const TIMEOUT = Math.max(60_000, RUNS.numRuns * 60);

/** What the reader answers, without its `locate` function. */
function read(text: string, id: string, fast: boolean) {
  seen.fast = fast;
  const { locate: _, ...r } = parseManifest(text, `apps/${id}/manifest.yml`, id);
  seen.fast = true;
  return r;
}

/** Both ways alike, down to key order; true when the fast parse gave the answer. */
function agrees(text: string, id: string): boolean {
  const before = seen.answered;
  const withFast = read(text, id, true);
  const answered = seen.answered > before;
  const zodOnly = read(text, id, false);
  expect(withFast).toStrictEqual(zodOnly);
  expect(JSON.stringify(withFast)).toBe(JSON.stringify(zodOnly));
  return answered;
}

const bundled = BUNDLED_MANIFESTS;
const tiers = TIER_MANIFESTS;

describe('the manifest reader with its fast parse, against zod alone', () => {
  it('answers the bundled apps, the demo apps and the bench tiers without building zod\'s schema, as zod would', () => {
    expect(bundled.length).toBeGreaterThan(10);
    seen.schemaBuilt = 0;
    for (const { id, text } of [...bundled, ...tiers]) {
      seen.fast = true;
      const r = parseManifest(text, `apps/${id}/manifest.yml`, id);
      expect([id, r.ok]).toEqual([id, true]);
    }
    expect(seen.schemaBuilt).toBe(0);
    for (const { id, text } of [...bundled, ...tiers]) expect([id, agrees(text, id)]).toEqual([id, true]);
  });

  it('in another folder than its app id, a manifest is refused at app.id either way', () => {
    for (const { text } of [...bundled.slice(0, 3), ...tiers.slice(0, 3)]) agrees(text, 'elsewhere');
  });

  it('on generated manifests written as YAML, it answers as zod', () => {
    fc.assert(fc.property(manifestish, fc.boolean(), (m, flow) => {
      const id = typeof (m.app as { id?: unknown } | undefined)?.id === 'string' ? (m.app as { id: string }).id : 'x';
      agrees(stringify(m, flow ? { collectionStyle: 'flow' } : undefined), id || 'x');
    }), RUNS);
  }, TIMEOUT);

  it('on the real manifests\' text with characters changed, removed or repeated, it answers as zod', () => {
    const edit = fc.record({ at: fc.nat(), len: fc.nat({ max: 12 }), by: fc.oneof(fc.constantFrom('', ' ', '\n', ':', '-', '#', '"', '{', '[', '0', 'x', '/..', '\t', '&a', '*a', '!!str '), fc.string({ maxLength: 3 })) });
    const cases = fc.tuple(fc.constantFrom(...bundled, ...tiers), fc.array(edit, { minLength: 1, maxLength: 3 }));
    fc.assert(fc.property(cases, ([{ id, text }, edits]) => {
      let t = text;
      for (const { at, len, by } of edits) {
        const i = at % (t.length + 1);
        t = t.slice(0, i) + by + t.slice(i + len);
      }
      agrees(t, id);
    }), RUNS);
  }, TIMEOUT);
});
