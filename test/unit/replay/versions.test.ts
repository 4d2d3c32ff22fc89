// replay --check across versions: a boot written by another fold or spec-hash version is checked by
// its decisions (what, for which app, why), not by state hashes another fold computed.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { stateHash } from '../../../src/core/evolve.js';
import { checkDecisions, TODAY } from '../../../src/core/replay.js';
import { envelopes, manifest, observed, T0 } from '../core/builders.js';
import { given } from '../core/planner-spec.js';

describe('checking decisions across versions', () => {
  const boot = (foldVersion: number, hashVersion: number): Draft => ({ type: 'BootStarted', source: 'reconciler', data: { version: 'x', pid: 1, foldVersion, hashVersion } });
  const catalog: Draft[] = [observed('a', manifest('a'))];
  const node = given(boot(TODAY.foldVersion, TODAY.hashVersion), ...catalog);
  const at = T0 + 10_000;
  const planned = node.when(at).plan.actions; // create a
  const decision = (actions: typeof planned, hash: string): Draft => ({ type: 'PlanDecided', source: 'reconciler', data: { atSeq: 2, stateHash: hash, plannedAt: at, actions } });
  const withBoot = (b: Draft, d: Draft) => envelopes([b, ...catalog, d]);

  it('given a boot of today\'s versions, when its recorded state hash differs, then it diverges on the state', () => {
    const log = withBoot(boot(TODAY.foldVersion, TODAY.hashVersion), decision(planned, 'another-fold'));
    expect(checkDecisions(log).divergence).toMatchObject({ kind: 'state' });
  });

  it('given a boot of another fold version, when its recorded state hash differs, then the decision alone is compared and agrees, and the boot is named', () => {
    const log = withBoot(boot(TODAY.foldVersion - 1, TODAY.hashVersion), decision(planned, 'another-fold'));
    const r = checkDecisions(log);
    expect(r.divergence).toBeUndefined();
    expect(r.checked).toBe(1);
    expect(r.otherVersions).toEqual([{ boot: 1, foldVersion: TODAY.foldVersion - 1, hashVersion: TODAY.hashVersion }]);
  });

  it('given a boot of another hash version, when its create names another spec hash, then it agrees; when it decides another kind, it diverges', () => {
    const otherHash = planned.map((a) => ({ ...a, specHash: 'e'.repeat(64) }));
    expect(checkDecisions(withBoot(boot(TODAY.foldVersion, TODAY.hashVersion - 1), decision(otherHash, 'x'))).divergence).toBeUndefined();
    const removed = planned.map((a) => ({ ...a, kind: 'remove' as const }));
    expect(checkDecisions(withBoot(boot(TODAY.foldVersion, TODAY.hashVersion - 1), decision(removed, 'x'))).divergence).toMatchObject({ kind: 'plan', versions: { foldVersion: TODAY.foldVersion } });
  });

  it('given a boot of today\'s versions, when its create names another spec hash, then it diverges', () => {
    const otherHash = planned.map((a) => ({ ...a, specHash: 'e'.repeat(64) }));
    const log = withBoot(boot(TODAY.foldVersion, TODAY.hashVersion), decision(otherHash, stateHash(node.state)));
    expect(checkDecisions(log).divergence).toBeDefined();
  });
});
