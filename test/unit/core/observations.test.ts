// Observers append only what changed: an idle node's log does not grow.
import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/core/evolve.js';
import fc from 'fast-check';
import { compareNames, factsDraft, inventoryDrafts, inventoryNews, manifestDrafts, podmanEventDrafts, secretDrafts, type ManifestReading } from '../../../src/core/observations.js';
import { envelopes, manifest } from './builders.js';

const m = manifest('web');
const reading: ManifestReading = { ok: true, path: 'apps/web/manifest.yml', hash: 'h1', manifest: m as Record<string, unknown>, templates: {} };

describe('observations', () => {
  it('given a node that saw everything once, when it looks again and nothing changed, then nothing is appended', () => {
    const container = { app: 'web', id: 'c1', name: 'web', state: 'running' as const, image: 'img', specHash: 's1' };
    const first = [
      ...manifestDrafts(fold([]), new Map([['web', reading]])),
      ...factsDraft(fold([]), { HOST_IP: '10.0.0.5' }),
      ...secretDrafts(fold([]), new Map([['pw', 'hash']])),
      ...inventoryDrafts(fold([]), [container]),
    ];
    expect(first.map((d) => d.type)).toEqual(['ManifestObserved', 'HostFactsObserved', 'SecretObserved', 'ContainerObserved']);
    const state = fold(envelopes(first));

    expect(manifestDrafts(state, new Map([['web', reading]]))).toEqual([]);
    expect(factsDraft(state, { HOST_IP: '10.0.0.5' })).toEqual([]);
    expect(secretDrafts(state, new Map([['pw', 'hash']]))).toEqual([]);
    expect(inventoryDrafts(state, [container])).toEqual([]);
    expect(podmanEventDrafts(state, { action: 'start', app: 'web', id: 'c1', name: 'web' })).toEqual([]);
  });

  it('given a known container, when the inventory no longer lists it, then its removal is observed', () => {
    const state = fold(envelopes(inventoryDrafts(fold([]), [{ app: 'web', id: 'c1', name: 'web', state: 'running', image: 'img' }])));
    expect(inventoryDrafts(state, [])).toEqual([{ type: 'ContainerRemoved', source: 'inventory', app: 'web', data: { id: 'c1', name: 'web' } }]);
  });

  it('given a known manifest, when its file disappears, then ManifestRemoved is appended', () => {
    const state = fold(envelopes(manifestDrafts(fold([]), new Map([['web', reading]]))));
    expect(manifestDrafts(state, new Map()).map((d) => d.type)).toEqual(['ManifestRemoved']);
  });

  describe('an inventory reading that overlaps other observers\' appends', () => {
    const running = { app: 'web', id: 'c1', name: 'web', state: 'running' as const, image: 'img', specHash: 's1' };
    const exited = { ...running, state: 'exited' as const, exitCode: 137, oomKilled: false };
    const before = fold(envelopes(inventoryDrafts(fold([]), [running])));
    // the exit file's record of the death, appended while the reading ran
    const afterDeath = fold(envelopes([...inventoryDrafts(fold([]), [running]), ...podmanEventDrafts(before, { action: 'died', app: 'web', id: 'c1', name: 'web', exitCode: 137 })]));
    const reading = (c: typeof running | typeof exited) => ({ managed: [c], unmanaged: [], drift: [] });

    it('given a death recorded during the reading, when the reading saw the container exited too, then the death is not recorded twice', () => {
      expect(afterDeath.containers.web!.status).toBe('exited');
      expect(inventoryNews(before, afterDeath, reading(exited))).toEqual([]);
    });

    it('given a death recorded during the reading, when the reading saw it still running (it looked first), then it does not undo the death', () => {
      expect(inventoryNews(before, afterDeath, reading(running))).toEqual([]);
    });

    it('given nothing appended during the reading, when it saw a death, then the death is news', () => {
      expect(inventoryNews(before, before, reading(exited)).map((d) => [d.type, d.data])).toEqual([['ContainerObserved', expect.objectContaining({ state: 'exited', exitCode: 137 })]]);
    });
  });
});

describe('the order observations are recorded in', () => {
  it('given names of lower-case letters, digits and dashes (app ids), when compared without the collator, then the order is localeCompare\'s', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z0-9-]{0,8}$/), { maxLength: 30 }), (names) => {
      const plain = [...names].sort(compareNames);
      const collated = [...names].sort((a, b) => a.localeCompare(b));
      expect(plain).toEqual(collated);
    }), { numRuns: 500 });
  });

  it('given other names, when compared, then they are collated as before', () => {
    fc.assert(fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (a, b) => {
      expect(Math.sign(compareNames(a, b))).toBe(Math.sign(a.localeCompare(b)));
    }), { numRuns: 500 });
  });
});
