// The fold is deterministic: however the events arrive (one by one, or in batches of any size through
// the daemon's RxJS projection), the state — and its hash — is the same.
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Draft, Envelope } from '../../../src/core/events.js';
import { evolve, fold, foldChunk, stateHash } from '../../../src/core/evolve.js';
import { initialState, type State } from '../../../src/core/state.js';
import { desiredApp, resolveSpec } from '../../../src/core/spec.js';
import { Projection } from '../../../src/daemon/projection.js';
import { envelopes, facts, manifest, observed, secret } from './builders.js';

const apps = ['a', 'b', 'c'];
const ids = ['c1', 'c2'];

const draft: fc.Arbitrary<Draft> = fc.oneof(
  fc.constantFrom(...apps).map((app) => observed(app, manifest(app, { derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }] }))),
  fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3').map((ip) => facts({ HOST_IP: ip }, ['HOST_IP'])),
  fc.constantFrom('h1', 'h2').map((h) => secret('pw', h)),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids) }).map(({ app, id }): Draft => ({ type: 'ContainerStarted', source: 'podman', app, data: { id, name: app } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids), code: fc.integer({ min: 0, max: 255 }) })
    .map(({ app, id, code }): Draft => ({ type: 'ContainerExited', source: 'podman', app, data: { id, name: app, exitCode: code } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids) }).map(({ app, id }): Draft => ({ type: 'ContainerRemoved', source: 'podman', app, data: { id, name: app } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids) })
    .map(({ app, id }): Draft => ({ type: 'HealthChanged', source: 'health', app, data: { id, status: 'healthy', failingStreak: 0 } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'ActionFailed', source: 'executor', app, data: { kind: 'create', error: { code: 'x', message: 'boom' } } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'ManifestRemoved', source: 'manifests', app, data: { path: `apps/${app}/manifest.yml` } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids), state: fc.constantFrom('running' as const, 'exited' as const) })
    .map(({ app, id, state }): Draft => ({ type: 'ContainerObserved', source: 'inventory', app, data: { id, name: app, state, image: 'img:1', specHash: 's1' } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids), kind: fc.constantFrom('start' as const, 'restart' as const, 'remove' as const) })
    .map(({ app, id, kind }): Draft => ({ type: 'ActionSucceeded', source: 'executor', app, data: { kind, containerId: id, attempt: 1 } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids), n: fc.nat(2) })
    .map(({ app, id, n }): Draft => ({ type: 'DriftDetected', source: 'inventory', app, data: { id, differences: Array.from({ length: n }, () => ({ field: 'image', expected: 'a', actual: 'b' })) } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids) })
    .map(({ app, id }): Draft => ({ type: 'HealthChanged', source: 'health', app, data: { id, status: 'unhealthy', failingStreak: 2, detail: 'HTTP 503' } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'PlanDecided', source: 'reconciler', data: { atSeq: 1, stateHash: 'x', plannedAt: 0, actions: [{ kind: 'start', app, reasons: [] }] } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'BackoffScheduled', source: 'reconciler', app, data: { attempt: 1, until: 5, delayMs: 5 } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'RolledBack', source: 'reconciler', app, data: { fromSpecHash: 'a', badManifestHash: 'b', toSpecHash: 'c' } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids), kind: fc.constantFrom('create' as const, 'adopt' as const) })
    .map(({ app, id, kind }): Draft => ({ type: 'ActionSucceeded', source: 'executor', app, data: { kind, containerId: id, specHash: 's1', spec: { name: app, image: 'img:1' } as never } })),
  fc.constantFrom(...apps).map((app): Draft => ({ type: 'ManifestRejected', source: 'manifests', app, data: { path: `apps/${app}/manifest.yml`, hash: 'bad', errors: [{ file: 'm', line: 1, col: 1, path: 'x', message: 'no' }] } })),
  fc.constantFrom('HOST_IP', 'HOST_MDNS').map((name) => facts({}, [name])),
  fc.constant(null).map((): Draft => ({ type: 'SecretRemoved', source: 'secrets', data: { name: 'pw' } })),
  fc.record({ app: fc.constantFrom(...apps), id: fc.constantFrom(...ids) })
    .map(({ app, id }): Draft => ({ type: 'UnmanagedContainerObserved', source: 'inventory', app, data: { id, name: app, image: 'img:1', differences: [] } })),
);

/** Every path of a value with whether the object there is frozen. */
function frozenPaths(value: unknown, at = '$'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return [`${at}:${Object.isFrozen(value)}`, ...Object.entries(value).flatMap(([k, v]) => frozenPaths(v, `${at}.${k}`))];
}

/** Split `events` into consecutive batches at the given cut points. */
function batches(events: Envelope[], cuts: number[]): Envelope[][] {
  const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
  const out: Envelope[][] = [];
  let from = 0;
  for (const p of [...points, events.length]) {
    if (p > from) out.push(events.slice(from, p));
    from = Math.max(from, p);
  }
  return out;
}

describe('fold determinism', () => {
  it('given any sequence of valid events, when folded whole or fed to the projection in any batches, then the states are equal', () => {
    fc.assert(fc.property(fc.array(draft, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 10 }), (drafts, cuts) => {
      const events = envelopes(drafts);
      const whole = fold(events);
      const appended = new Subject<readonly Envelope[]>();
      const projection = new Projection(fold([]), appended);
      for (const batch of batches(events, cuts)) appended.next(batch);
      expect(stateHash(projection.state)).toBe(stateHash(whole));
      expect(projection.state).toEqual(whole);
      projection.close();
    }), { numRuns: 300 });
  });

  it('given any sequence of valid events, when folded in chunks of any sizes (copy-on-write, foldChunk), then the state is byte-identical to one evolve per event (immer), and frozen alike', () => {
    fc.assert(fc.property(fc.array(draft, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 10 }), (drafts, cuts) => {
      const events = envelopes(drafts);
      const perEvent = events.reduce(evolve, initialState);
      const chunked = batches(events, cuts).reduce(foldChunk, initialState);
      expect(JSON.stringify(chunked)).toBe(JSON.stringify(perEvent));
      expect(stateHash(chunked)).toBe(stateHash(perEvent));
      expect(frozenPaths(chunked)).toEqual(frozenPaths(perEvent));
    }), { numRuns: 300 });
  });

  it('given a log, when a prefix is folded and the rest folded on top, then it equals folding it whole', () => {
    fc.assert(fc.property(fc.array(draft, { maxLength: 60 }), fc.nat(), (drafts, cut) => {
      const events = envelopes(drafts);
      const at = cut % (events.length + 1);
      expect(stateHash(fold(events.slice(at), fold(events.slice(0, at))))).toBe(stateHash(fold(events)));
    }), { numRuns: 300 });
  });

  it('given a host fact changing between two healthy checks in one chunk, when folded in one chunk, then the last good config is the one the second check ran (no resolution remembered from before the change)', () => {
    const hashAt = (state: State): string => {
      const r = resolveSpec(desiredApp(state, 'a')!, state);
      if (!r.ok) throw new Error('no spec');
      return r.hash;
    };
    const head = envelopes([observed('a', manifest('a', { derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }] })), facts({ HOST_IP: '10.0.0.1' })]);
    const h1 = hashAt(fold(head));
    const ip2 = envelopes([facts({ HOST_IP: '10.0.0.2' })], 3);
    const h2 = hashAt(fold(ip2, fold(head)));
    expect(h2).not.toBe(h1);
    const healthy: Draft = { type: 'HealthChanged', source: 'health', app: 'a', data: { id: 'c1', status: 'healthy', failingStreak: 0 } };
    const running = (specHash: string): Draft => ({ type: 'ContainerObserved', source: 'inventory', app: 'a', data: { id: 'c1', name: 'a', state: 'running', image: 'example/a:1', specHash } });
    const events = envelopes([
      observed('a', manifest('a', { derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }] })), facts({ HOST_IP: '10.0.0.1' }),
      running(h1), healthy, facts({ HOST_IP: '10.0.0.2' }), running(h2), healthy,
    ]);
    const perEvent = events.reduce(evolve, initialState);
    expect(perEvent.lastGood.a?.specHash).toBe(h2);
    const chunked = foldChunk(initialState, events);
    expect(chunked.lastGood.a?.specHash).toBe(h2);
    expect(JSON.stringify(chunked)).toBe(JSON.stringify(perEvent));
    // and a rollback to it, then more changes to the container, in the same chunk
    const more = envelopes([
      { type: 'RolledBack', source: 'reconciler', app: 'a', data: { fromSpecHash: h2, badManifestHash: 'h-a', toSpecHash: h1 } },
      healthy, { type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'c1', name: 'a', exitCode: 1 } },
      facts({ HOST_IP: '10.0.0.1' }), running(h1), healthy,
    ], events.length + 1);
    const all = [...events, ...more];
    const perEventAll = all.reduce(evolve, initialState);
    expect(perEventAll.pinned.a).toBeDefined();
    for (const cut of [0, 3, events.length, all.length - 2]) {
      const split = foldChunk(foldChunk(initialState, all.slice(0, cut)), all.slice(cut));
      expect(JSON.stringify(split)).toBe(JSON.stringify(perEventAll));
      expect(frozenPaths(split)).toEqual(frozenPaths(perEventAll));
    }
  });
});
