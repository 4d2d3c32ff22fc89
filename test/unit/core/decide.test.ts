// The decider: the plan less what waits on an action in flight, each action with the apps it must
// not race, and the backoff records a crash-loop wait needs: decisions as data, made in one place.
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/core/decide.js';
import { manifest, observed, T0 } from './builders.js';
import { given } from './planner-spec.js';

const db = manifest('db');
const api = manifest('api', {}, { dependencies: ['db'] });
const web = manifest('web', {}, { dependencies: ['api'] });
const solo = manifest('solo');

describe('decide', () => {
  it('given a chain web → api → db and solo, when db is in flight, then db is deferred, its dependents stay blocked (no action to defer) and solo is acted on', () => {
    const state = given(observed('db', db), observed('api', api), observed('web', web), observed('solo', solo)).state;
    const d = decide(state, T0 + 10_000, new Set(['db']));
    expect(d.actions.map((a) => `${a.kind} ${a.app}`)).toEqual(['blocked api', 'create solo', 'blocked web']);
    expect(d.deferred).toEqual(['db']);
    expect(d.dependsOn).toEqual({ db: [], solo: [] });
  });

  it('given api created and db not running, when api is acted on while db is in flight, then api waits on db (deferred), by its dependency edge', () => {
    const state = given(observed('db', db), observed('api', api)).created('db', 'c-db').created('api', 'c-api')
      .and({ type: 'ContainerExited', source: 'podman', app: 'api', data: { id: 'c-api', name: 'api', exitCode: 1 } }).state;
    const d = decide(state, T0 + 60 * 60_000, new Set(['db']));
    expect(d.dependsOn.api).toEqual(['db']);
    expect(d.deferred).toEqual(['api']);
  });

  it('given nothing in flight, then the whole plan is acted on, dependencies first', () => {
    const state = given(observed('db', db), observed('api', api)).state;
    const d = decide(state, T0 + 10_000, new Set());
    expect(d.actions.map((a) => `${a.kind} ${a.app}`)).toEqual(['create db', 'blocked api']);
    expect(d.deferred).toEqual([]);
    expect(d.backoff).toEqual([]);
  });
});
