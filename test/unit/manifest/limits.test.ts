// Hostile manifest text is refused quickly, with file:line:col, never a crash: too large, aliases that
// multiply ("billion laughs"), collections nested deeper than any manifest needs, mappings with more keys than any needs.
import { describe, expect, it } from 'vitest';
import { formatManifestError, MANIFEST_MAX_BYTES, MAX_MAP_KEYS, MAX_NESTING, parseManifest } from '../../../src/manifest/parse.js';

const FILE = 'apps/web/manifest.yml';
const timed = (text: string) => {
  const start = performance.now();
  const r = parseManifest(text, FILE, 'web');
  return { errors: r.ok ? [] : r.errors.map(formatManifestError), ms: performance.now() - start };
};
const valid = 'app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: x/web\n';

describe('manifest size', () => {
  it('given a manifest one byte over 256 KiB, when parsed, then it is refused at 1:1 naming the limit, unparsed', () => {
    const text = `${valid}#${'x'.repeat(MANIFEST_MAX_BYTES - valid.length)}`;
    expect(Buffer.byteLength(text)).toBe(MANIFEST_MAX_BYTES + 1);
    const { errors, ms } = timed(text);
    expect(errors).toEqual([`${FILE}:1:1: (file): the manifest is 262145 bytes, more than the 256 KiB a manifest may have; make it smaller`]);
    expect(ms).toBeLessThan(100);
  });

  it('given 100 KiB of three-byte characters (300 KiB of UTF-8), when parsed, then its bytes are counted, not its characters', () => {
    expect(timed(`${valid}# ${'€'.repeat(100 * 1024)}`).errors).toEqual([
      `${FILE}:1:1: (file): the manifest is ${valid.length + 2 + 300 * 1024} bytes, more than the 256 KiB a manifest may have; make it smaller`,
    ]);
  });

  it('given a manifest of exactly 256 KiB, when parsed, then the size is no problem', () => {
    expect(timed(`${valid}#${'x'.repeat(MANIFEST_MAX_BYTES - valid.length - 1)}`).errors).toEqual([]);
  });
});

describe('aliases', () => {
  it('given a billion-laughs manifest (9 levels of 9 aliases), when parsed, then it is refused within a second at its first alias', () => {
    const levels = 'abcdefghi'.split('');
    const text = [
      `${levels[0]}: &${levels[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`,
      ...levels.slice(1).map((k, i) => `${k}: &${k} [${Array(9).fill(`*${levels[i]}`).join(', ')}]`),
      valid,
    ].join('\n');
    const { errors, ms } = timed(text);
    expect(errors).toEqual([
      `${FILE}:2:8: (yaml): Excessive alias count indicates a resource exhaustion attack: expand the aliases (at most 100 are resolved)`,
    ]);
    expect(ms).toBeLessThan(1000);
  });
});

describe('nesting', () => {
  const nestingError = (line: number, col: number) =>
    `${FILE}:${line}:${col}: (yaml): nested more than ${MAX_NESTING} levels deep; a manifest needs only a few levels: remove the extra brackets or indentation`;

  it.each([
    ['100,000 [', '['.repeat(100_000), 1, MAX_NESTING + 1],
    ['100,000 [ under a key', `app: ${'['.repeat(100_000)}`, 1, 5 + MAX_NESTING],
    ['50,000 {a: ', '{a: '.repeat(50_000), 1, 4 * MAX_NESTING + 1],
    ['50,000 block sequences on a line', '- '.repeat(50_000), 1, 2 * MAX_NESTING + 1],
    ['block maps indented 40 deep', Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'), MAX_NESTING + 1, MAX_NESTING + 1],
  ])('given %s, when parsed, then one error says where it gets too deep (no stack overflow)', (_, text, line, col) => {
    const { errors } = timed(text);
    expect(errors).toEqual([nestingError(line, col)]);
  });

  it(`given ${MAX_NESTING} levels, when parsed, then the nesting is no problem (the schema speaks)`, () => {
    const errors = timed(`${valid}x: ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}\n`).errors;
    expect(errors).toEqual([`${FILE}:4:1: x: unknown key 'x': remove it or check its spelling`]);
  });
});

describe('keys in one mapping', () => {
  const keysError = (line: number, col: number) =>
    `${FILE}:${line}:${col}: (yaml): a mapping with more than ${MAX_MAP_KEYS} keys (this is key ${MAX_MAP_KEYS + 1}); a manifest needs at most a few dozen in one place: remove the extra keys`;
  const env = (n: number) => Array.from({ length: n }, (_, i) => `    K${i}: v`).join('\n');
  const flow = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `K${i}: v`).join(', ')} }`;

  it.each([
    ['16,000 environment variables, otherwise valid', `${valid}  environment:\n${env(16_000)}\n`, 5 + MAX_MAP_KEYS, 5],
    ['16,000 keys under an unknown key (no fast path)', `${valid}  bogus:\n${env(16_000)}\n`, 5 + MAX_MAP_KEYS, 5],
    ['16,000 keys in one flow mapping', `${valid}  environment: ${flow(16_000)}\n`, 4, 16 + flow(MAX_MAP_KEYS).length],
  ])('given %s, when parsed, then one error names the key past the limit, before yaml compares every key with every other (seconds of CPU)', (_, text, line, col) => {
    expect(timed(text).errors).toEqual([keysError(line, col)]);
  });

  it(`given ${MAX_MAP_KEYS} environment variables, when parsed, then the count is no problem`, () => {
    expect(timed(`${valid}  environment:\n${env(MAX_MAP_KEYS)}\n`).errors).toEqual([]);
  });
});
