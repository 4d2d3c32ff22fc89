// The fold, given/when/then: given a state, when an event is folded, then the projection says so.
import { describe, expect, it } from 'vitest';
import { evolve, fold, stateHash } from '../../../src/core/evolve.js';
import type { Draft } from '../../../src/core/events.js';
import { initialState } from '../../../src/core/state.js';
import { appView } from '../../../src/core/views.js';
import { envelopes, facts, manifest, observed, parsed } from './builders.js';

describe('evolve', () => {
  it('given a valid manifest, when a broken one is observed, then the last valid one is kept and the rejection recorded', () => {
    const m = manifest('electrs');
    const state = fold(envelopes([
      observed('electrs', m),
      { type: 'ManifestRejected', source: 'manifests', app: 'electrs', data: { path: 'p', hash: 'h2', errors: [{ file: 'p', line: 2, col: 1, path: 'app', message: 'bad' }] } },
    ]));
    expect(state.apps.electrs?.manifest).toEqual(parsed(m));
    expect(state.apps.electrs?.rejected).toEqual({ seq: 2, errors: [expect.objectContaining({ line: 2, col: 1 })] });
  });

  it('given a container, when an exit of an older container of the same app arrives, then it is ignored', () => {
    const state = fold(envelopes([
      { type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'new', name: 'a' } },
      { type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'old', name: 'a', exitCode: 137 } },
    ]));
    expect(state.containers.a).toMatchObject({ id: 'new', status: 'running', statusSeq: 1 });
  });

  it('given facts, when only HOST_IP changes, then only HOST_IP gets the new seq', () => {
    const state = fold(envelopes([facts({ HOST_IP: '1.1.1.1', HOST_MDNS: 'n.local' }), facts({ HOST_IP: '2.2.2.2', HOST_MDNS: 'n.local' }, ['HOST_IP'])]));
    expect(state.facts).toEqual({ HOST_IP: { value: '2.2.2.2', seq: 2 }, HOST_MDNS: { value: 'n.local', seq: 1 } });
  });

  it('given any log, when folded twice, then the states and their hashes are equal, and the input is not mutated', () => {
    const log = envelopes([observed('x', manifest('x')), facts({ HOST_IP: '1.1.1.1' })]);
    const frozen = JSON.stringify(initialState);
    expect(stateHash(fold(log))).toBe(stateHash(fold(log)));
    expect(evolve(initialState, log[0]!)).not.toBe(initialState);
    expect(JSON.stringify(initialState)).toBe(frozen);
  });
});

describe('evolve, one exit seen twice', () => {
  it('given an exit already observed by a resync, when the event stream reports the same exit, then its time (and so its backoff) is unchanged', () => {
    const state = fold(envelopes([
      { type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'c1', name: 'a' } },
      { type: 'ContainerObserved', source: 'inventory', app: 'a', data: { id: 'c1', name: 'a', state: 'exited', exitCode: 1, image: 'i' } },
      { type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'c1', name: 'a', exitCode: 1 } },
    ]));
    expect(state.containers.a).toMatchObject({ status: 'exited', statusSeq: 2 });
  });
});

describe('evolve, probe outcomes', () => {
  const probe = (id: string, n: number, ok = n % 2 === 0): Draft => ({ type: 'ProbeOutcomeChanged', source: 'health', app: 'a', data: { id, ok, output: `10.88.0.2:80: HTTP ${ok ? 200 : 503} #${n}`, latencyMs: n } });

  it('given a running container, when more probe outcomes are recorded than are kept, then it keeps the last five, oldest first, and the view shows them', () => {
    const log = envelopes([
      { type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'c1', name: 'a' } },
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => probe('c1', n)),
    ]);
    const state = fold(log);
    expect(state.containers.a?.probes?.map((p) => p.latencyMs)).toEqual([3, 4, 5, 6, 7]);
    const view = appView(state, 'a', []);
    expect(view.probes).toHaveLength(5);
    expect(view.probes[4]).toEqual({ at: new Date(log[7]!.at).toISOString(), ok: false, output: '10.88.0.2:80: HTTP 503 #7', latencyMs: 7 });
  });

  it('given a container replaced by a new one, when an outcome of the old one arrives, then it is ignored, and the new one starts without probes', () => {
    const state = fold(envelopes([
      { type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'c1', name: 'a' } },
      probe('c1', 1),
      { type: 'ContainerStarted', source: 'podman', app: 'a', data: { id: 'c2', name: 'a' } },
      probe('c1', 2),
    ]));
    expect(state.containers.a).toMatchObject({ id: 'c2' });
    expect(state.containers.a?.probes).toBeUndefined();
  });
});
