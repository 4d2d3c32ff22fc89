// The generated JSON Schema and Markdown reference: up to date, and usable by an editor's validator.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { caseInsensitive, DURATION_PATTERN, generatedFiles, manifestJsonSchema, SIZE_PATTERN } from '../../../src/manifest/json-schema.js';
import { parseManifest } from '../../../src/manifest/parse.js';
import { parseDuration, parseSize } from '../../../src/core/manifest/units.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// ajv-formats is CommonJS: its default export arrives wrapped under ESM + NodeNext typings.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(manifestJsonSchema());
const errorsOf = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));

const manifests = ['apps', 'examples/demo/apps'].flatMap((dir) =>
  readdirSync(`${root}${dir}`, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ id: e.name, file: `${dir}/${e.name}/manifest.yml` })),
);
const textOf = (file: string) => readFileSync(`${root}${file}`, 'utf8');

const minimal = { app: { id: 'web', name: 'Web', version: '1' }, container: { image: 'example/web:1' } };

describe('generated manifest docs', () => {
  it.each(Object.keys(generatedFiles()))('given the schema, when %s is compared with the generator, then it is up to date', (rel) => {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(`${root}${rel}`, 'utf8');
    } catch {
      onDisk = undefined;
    }
    expect(onDisk === generatedFiles()[rel], `${rel} is stale: run npm run schema`).toBe(true);
  });
});

describe('manifest JSON Schema', () => {
  it('given the catalog and the demo, when looked for, then there are manifests to check', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
  });

  it.each(manifests)('given $file, when validated with ajv, then the JSON Schema accepts it (as parseManifest does)', ({ id, file }) => {
    const text = textOf(file);
    expect(parseManifest(text, file, id).ok).toBe(true);
    expect(errorsOf(parse(text))).toEqual([]);
  });

  it('given a minimal manifest, when validated, then it is accepted', () => {
    expect(errorsOf(minimal)).toEqual([]);
  });

  it('given an unknown key, when validated, then it is rejected', () => {
    expect(validate({ ...minimal, container: { ...minimal.container, imgae: 'x' } })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'imgae' } }));
    expect(validate({ ...minimal, extra: 1 })).toBe(false);
  });

  it('given a wrong type, when validated, then it is rejected', () => {
    expect(validate({ ...minimal, container: { ...minimal.container, ports: [{ host: '80', container: 80 }] } })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/container/ports/0/host', keyword: 'type' }));
    expect(validate({ ...minimal, container: { ...minimal.container, environment: { A: ['x'] } } })).toBe(false);
  });

  it('given neither or both of image and build, when validated, then it is rejected', () => {
    expect(validate({ ...minimal, container: {} })).toBe(false);
    expect(validate({ ...minimal, container: { image: 'x', build: {} } })).toBe(false);
    expect(validate({ ...minimal, container: { build: {} } })).toBe(true);
  });

  it('given durations and sizes, when validated, then the text forms parseManifest takes are taken', () => {
    const withUnits = (stop: unknown, size: unknown) => ({
      ...minimal,
      container: { ...minimal.container, stop_timeout: stop, volumes: [{ type: 'tmpfs', target: '/t', size }] },
    });
    for (const [stop, size] of [['30s', '64m'], ['1h30m', '1g'], [600, 1024], ['500ms', '64MiB'], [1.5, '512k']]) {
      expect(errorsOf(withUnits(stop, size)), `${stop} ${size}`).toEqual([]);
    }
    for (const [stop, size] of [['30x', '64m'], ['30s', '64q'], [-1, '1k'], ['', '1k'], ['1s', 0], ['1s', 1.5]]) {
      expect(validate(withUnits(stop, size)), `${stop} ${size}`).toBe(false);
    }
  });

  it('given case-insensitive zod patterns, when validated, then other cases are accepted as zod accepts them', () => {
    const container = { ...minimal.container, hostname: 'My-Host', user: 'Root:Wheel', security: { cap_add: ['cap_net_admin'], cap_drop: ['ALL'] } };
    expect(errorsOf({ ...minimal, container })).toEqual([]);
  });

  it('given a case-insensitive regex source, when spelled out, then it matches the same strings as the i flag', () => {
    const sources = ['^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', '^(CAP_)?[A-Z_]+$', '^[^a-z]x\\d$'];
    const samples = ['abc', 'ABC', 'a-B', 'CAP_NET', 'cap_net', 'Cap_x', '-a', '1xX', '1x1', 'Zx1', '9X1', ''];
    for (const source of sources) {
      const flagged = new RegExp(source, 'i');
      const spelled = new RegExp(caseInsensitive(source), 'u');
      for (const s of samples) expect(spelled.test(s), `${source} on ${s}`).toBe(flagged.test(s));
    }
  });

  it('given any short text of digits, units and blanks, when matched, then the duration and size patterns agree with units.ts', () => {
    const unitText = fc.string({ unit: fc.constantFrom(...'0123456789.mshkgbiMKGBI \t'.split('')), maxLength: 8 });
    const duration = new RegExp(DURATION_PATTERN, 'u');
    const size = new RegExp(SIZE_PATTERN, 'u');
    fc.assert(
      fc.property(unitText, (s) => {
        expect(duration.test(s), `duration ${JSON.stringify(s)}`).toBe(parseDuration(s).ok);
        // The one thing the size pattern leaves to podledger: a size that comes to zero bytes (`0m`).
        const r = parseSize(s);
        expect(size.test(s), `size ${JSON.stringify(s)}`).toBe(r.ok || r.message === 'must be larger than zero');
      }),
      { numRuns: 2000 },
    );
  });
});
