// The fold's manifest parse, remembered by content: given/when/then.
import { describe, expect, it } from 'vitest';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { MEMO_ENTRIES, memoSize, parseManifest, plainKey } from '../../../src/core/manifest-memo.js';
import { ManifestSchema } from '../../../src/core/manifest/schema.js';
import { envelopes, manifest, observed, parsed } from './builders.js';

/** A deep copy as a log line gives it: equal content, no object shared. */
const fromJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** [1, <hole>, 2]: JSON.stringify writes the hole as null */
const sparse = (): unknown[] => { const a: unknown[] = [1]; a[2] = 2; return a; };

describe('manifest memo', () => {
  it('given the same manifest content twice, when parsed, then the second is the first result, frozen and equal to zod\'s', () => {
    const m = manifest('memo-same', { image: 'img/same:1' });
    const first = parseManifest(fromJson(m));
    const second = parseManifest(fromJson(m));
    expect(second).toBe(first);
    expect(first).toEqual({ ok: true, manifest: ManifestSchema.parse(m) });
    expect(Object.isFrozen(first.ok && first.manifest.container)).toBe(true);
    expect(() => { (first as { ok: true; manifest: { app: { id: string } } }).manifest.app.id = 'other'; }).toThrow(TypeError);
  });

  it('given two manifests with the same claimed hash but different content, when folded, then each app holds its own content', () => {
    const a = manifest('memo-a', { image: 'img/a:1' });
    const b = manifest('memo-a', { image: 'img/evil:6' });
    const state = fold(envelopes([observed('memo-a', a, 'same-hash')]));
    const lied = fold(envelopes([observed('memo-a', a, 'same-hash'), observed('memo-a', b, 'same-hash')]));
    expect(state.apps['memo-a']?.manifest).toEqual(parsed(a));
    expect(lied.apps['memo-a']?.manifest).toEqual(parsed(b));
    expect(lied.apps['memo-a']?.manifest?.container.image).toBe('img/evil:6');
  });

  it('given a manifest today\'s schema refuses, when observed twice, then both rejections are recorded with their own seq and path', () => {
    const bad = fromJson({ ...manifest('memo-bad'), unknown_key: 1 });
    const state = fold(envelopes([
      { type: 'ManifestObserved', source: 'manifests', app: 'memo-bad', data: { path: 'p1', hash: 'h', manifest: bad, templates: {} } },
      { type: 'ManifestObserved', source: 'manifests', app: 'memo-bad', data: { path: 'p2', hash: 'h', manifest: fromJson(bad), templates: {} } },
    ]));
    expect(state.apps['memo-bad']?.rejected).toMatchObject({ seq: 2, errors: [expect.objectContaining({ file: 'p2', message: expect.stringContaining('no longer valid') })] });
  });

  it('given a folded log, when folded again with every parse remembered, then the state hash is the same', () => {
    const log = envelopes([observed('memo-h', manifest('memo-h')), observed('memo-h', manifest('memo-h', { image: 'img/h:2' })), observed('memo-h', manifest('memo-h'))]);
    expect(stateHash(fold(log))).toBe(stateHash(fold(fromJson(log))));
  });

  it('given values JSON.stringify would conflate, when keyed, then they have no key and are parsed each time', () => {
    for (const v of [undefined, Infinity, -Infinity, NaN, -0, { a: undefined }, sparse(), new Date(0), () => 1, Symbol('s'), 10n]) {
      expect(plainKey({ m: v })).toBeUndefined();
    }
    expect(plainKey({ a: [1, 'x', null, true, { b: 0 }] })).toBe('{"a":[1,"x",null,true,{"b":0}]}');
    expect(plainKey({ a: 1, b: 2 })).not.toBe(plainKey({ b: 2, a: 1 }));
  });

  it('given more distinct manifests than it keeps, when parsed, then it holds at most MEMO_ENTRIES', () => {
    for (let i = 0; i < MEMO_ENTRIES + 10; i++) parseManifest(manifest(`memo-many-${i}`));
    expect(memoSize()).toBeLessThanOrEqual(MEMO_ENTRIES);
  });
});
