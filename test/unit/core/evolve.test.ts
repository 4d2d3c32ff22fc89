// The fold, given/when/then: given a state, when an event is folded, then the projection says so.
import { describe, expect, it } from 'vitest';
import { evolve, fold, stateHash } from '../../../src/core/evolve.js';
import { initialState } from '../../../src/core/state.js';
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
