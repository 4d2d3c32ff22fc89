// The fold's manifest parse (core/manifest-parse.ts): the common manifest by hand, the rest by zod;
// given/when/then at the fold. test/unit/fuzz/manifest-fast-parse.test.ts holds it to zod.
import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/core/evolve.js';
import { fastParse } from '../../../src/core/manifest/fast-parse.js';
import { envelopes, manifest, observed, parsed } from './builders.js';

const fromJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('manifest parse in the fold', () => {
  it('given two manifests with the same claimed hash but different content, when folded, then each app holds its own content', () => {
    const a = manifest('mp-a', { image: 'img/a:1' });
    const b = manifest('mp-a', { image: 'img/evil:6' });
    const lied = fold(envelopes([observed('mp-a', a, 'same-hash'), observed('mp-a', b, 'same-hash')]));
    expect(lied.apps['mp-a']?.manifest).toEqual(parsed(b));
    expect(lied.apps['mp-a']?.manifest?.container.image).toBe('img/evil:6');
  });

  it('given a manifest today\'s schema refuses, when observed, then the rejection is zod\'s, recorded with its seq and path', () => {
    const bad = fromJson({ ...manifest('mp-bad'), unknown_key: 1 });
    expect(fastParse(bad)).toBeUndefined();
    const state = fold(envelopes([{ type: 'ManifestObserved', source: 'manifests', app: 'mp-bad', data: { path: 'p1', hash: 'h', manifest: bad, templates: {} } }]));
    expect(state.apps['mp-bad']?.rejected).toMatchObject({ seq: 1, errors: [expect.objectContaining({ file: 'p1', message: expect.stringContaining('no longer valid') })] });
  });

  it('given the same manifest twice, when parsed, then the two results are equal but not shared', () => {
    const m = fromJson(manifest('mp-same', { image: 'img/same:1' }));
    const [x, y] = [fastParse(m), fastParse(fromJson(m))];
    expect(x).toEqual(y);
    expect(x).not.toBe(y);
  });
});
