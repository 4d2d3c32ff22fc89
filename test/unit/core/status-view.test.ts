// What `status` shows of an app, given/when/then over folded logs: the last exit (code, signal, OOM
// kill, time) kept across restarts and recreates, the restart count, why the app waits, and the
// describe page's dependencies. Logs written before OOM kills were recorded fold as they always did.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { fold } from '../../../src/core/evolve.js';
import { describeApp, knownApps } from '../../../src/core/describe.js';
import { inventoryDrafts } from '../../../src/core/observations.js';
import { plan } from '../../../src/core/plan.js';
import { signalOf } from '../../../src/core/signals.js';
import { appView } from '../../../src/core/views.js';
import { oomMemory } from '../../../src/observe/podman-events.js';
import { envelopes, manifest, observed, T0 } from './builders.js';

const started = (app: string, id: string): Draft => ({ type: 'ContainerStarted', source: 'podman', app, data: { id, name: app } });
const exited = (app: string, id: string, exitCode: number, oomKilled?: boolean): Draft => ({
  type: 'ContainerExited', source: 'podman', app, data: { id, name: app, exitCode, ...(oomKilled !== undefined ? { oomKilled } : {}) },
});
const restarted = (app: string, id: string, attempt: number): Draft => ({ type: 'ActionSucceeded', source: 'executor', app, data: { kind: 'restart', containerId: id, attempt } });
const at = (seq: number) => new Date(T0 + seq * 1000).toISOString();

describe('status view: the last exit', () => {
  it('given a container OOM-killed (exit 137), when viewed, then its exit shows code 137, SIGKILL, OOM killed and the time', () => {
    const state = fold(envelopes([started('web', 'c1'), exited('web', 'c1', 137, true)]));
    expect(appView(state, 'web', []).lastExit).toEqual({ container: 'c1', exitCode: 137, signal: 'SIGKILL', oomKilled: true, at: at(2) });
  });

  it('given an OOM-killed container, when it is restarted twice, then the view keeps the previous exit and counts the restarts', () => {
    const state = fold(envelopes([
      started('web', 'c1'), exited('web', 'c1', 137, true), restarted('web', 'c1', 0),
      exited('web', 'c1', 143, false), restarted('web', 'c1', 1),
    ]));
    const v = appView(state, 'web', []);
    expect(v.observed).toEqual({ state: 'running', exitCode: null });
    expect(v.restarts).toBe(2);
    expect(v.lastExit).toEqual({ container: 'c1', exitCode: 143, signal: 'SIGTERM', oomKilled: false, at: at(4) });
  });

  it('given an exited container, when it is replaced by a new one (recreate), then the view shows the old container\'s exit', () => {
    const spec = { name: 'web', image: 'example/web:1' } as never;
    const state = fold(envelopes([
      started('web', 'c1'), exited('web', 'c1', 1, false),
      { type: 'ActionSucceeded', source: 'executor', app: 'web', data: { kind: 'recreate', containerId: 'c2', specHash: 'h', spec } },
    ]));
    expect(state.containers.web?.id).toBe('c2');
    expect(appView(state, 'web', []).lastExit).toEqual({ container: 'c1', exitCode: 1, signal: null, oomKilled: false, at: at(2) });
  });

  it('given a log written before OOM kills were recorded, when folded, then the state has no new fields (its hash is unchanged) and the view says OOM is not recorded', () => {
    const old = fold(envelopes([started('web', 'c1'), exited('web', 'c1', 137)]));
    expect(old.containers.web).not.toHaveProperty('lastExit');
    expect(old.containers.web).not.toHaveProperty('oomKilled');
    // (the captured logs in events/ replay to their recorded hashes: test/unit/replay)
    expect(appView(old, 'web', []).lastExit).toEqual({ container: 'c1', exitCode: 137, signal: 'SIGKILL', oomKilled: null, at: at(2) });
    // restarted, an old log keeps no exit to show
    expect(appView(fold(envelopes([started('web', 'c1'), exited('web', 'c1', 137), restarted('web', 'c1', 0)])), 'web', []).lastExit).toBeNull();
  });

  it('given an exit recorded without OOM, when a resync reads State.OOMKilled true, then one ContainerObserved corrects it and the exit keeps its seq and time', () => {
    const drafts = [started('web', 'c1'), exited('web', 'c1', 137, false)];
    const before = fold(envelopes(drafts));
    const seen = { app: 'web', id: 'c1', name: 'web', state: 'exited' as const, exitCode: 137, image: 'i' };
    expect(inventoryDrafts(before, [{ ...seen, oomKilled: false }])).toEqual([]);
    const fix = inventoryDrafts(before, [{ ...seen, oomKilled: true }]);
    expect(fix).toEqual([{ type: 'ContainerObserved', source: 'inventory', app: 'web', data: { id: 'c1', name: 'web', state: 'exited', image: 'i', exitCode: 137, oomKilled: true } }]);
    const after = fold(envelopes([...drafts, ...fix]));
    expect(appView(after, 'web', []).lastExit).toEqual({ container: 'c1', exitCode: 137, signal: 'SIGKILL', oomKilled: true, at: at(2) });
  });

  it('given exit codes, when read as signals, then above 128 names the signal and below names none', () => {
    expect([137, 143, 139, 130, 1, 0, 128, 255].map(signalOf)).toEqual(['SIGKILL', 'SIGTERM', 'SIGSEGV', 'SIGINT', null, null, null, null]);
  });
});

describe('podman events: OOM kills', () => {
  const raw = (action: string, id = 'c1') => ({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { 'podledger.app': 'web', name: 'web', exitCode: '137' } } });

  it('given an oom event, when the death of that container follows, then the death is an OOM kill; another death after it is not', () => {
    const memory = oomMemory();
    expect(memory.read(raw('oom'))).toBeUndefined();
    expect(memory.read(raw('died'))).toMatchObject({ action: 'died', id: 'c1', exitCode: 137, oomKilled: true });
    expect(memory.read(raw('died'))).toMatchObject({ action: 'died', id: 'c1', oomKilled: false });
    expect(memory.read(raw('start'))).toMatchObject({ action: 'start', id: 'c1' });
  });
});

describe('status view: why an app waits', () => {
  it('given a crash-loop wait, when viewed, then it waits on backoff until the time the plan says', () => {
    const state = fold(envelopes([started('web', 'c1'), exited('web', 'c1', 1, false)]));
    const until = T0 + 60_000;
    const v = appView(state, 'web', [{ kind: 'wait', app: 'web', until, attempt: 2, reasons: [{ code: 'container-exited' }] }]);
    expect(v.waiting).toEqual({ reason: 'backoff', until: new Date(until).toISOString(), attempt: 2 });
  });

  it('given an app depending on one not created, when planned and viewed, then it is blocked on that dependency and the describe page says it is not met', () => {
    const state = fold(envelopes([observed('db', manifest('db')), observed('web', manifest('web', {}, { dependencies: [{ app: 'db', condition: 'healthy' }] }))]));
    const actions = plan(state, T0 + 10_000).actions;
    expect(appView(state, 'web', actions).waiting).toEqual({ reason: 'dependency', on: [{ app: 'db', message: 'db is not created' }] });
    const d = describeApp(state, 'web', actions);
    expect(d.dependencies).toEqual([{ app: 'db', condition: 'healthy', restartWithIt: false, met: false, why: 'db is not created' }]);
    expect(d.desired.state).toBe('resolved');
    expect(d.observed.container).toBeNull();
    expect(knownApps(state)).toEqual(['db', 'web']);
  });

  it('given a rejected manifest, when viewed, then it waits on it with every error at file:line:col', () => {
    const errors = [{ file: 'apps/web/manifest.yml', line: 3, col: 5, path: 'container.image', message: 'bad' }];
    const state = fold(envelopes([{ type: 'ManifestRejected', source: 'manifests', app: 'web', data: { path: 'apps/web/manifest.yml', hash: 'h', errors } }]));
    expect(appView(state, 'web', plan(state, T0).actions).waiting).toEqual({ reason: 'manifest-rejected', errors });
  });

  it('given a health verdict, when described with the streak read from its event, then health shows status, since and failing streak', () => {
    const state = fold(envelopes([
      observed('web', manifest('web', { health_check: { type: 'exec', command: ['true'] } })), started('web', 'c1'),
      { type: 'HealthChanged', source: 'health', app: 'web', data: { id: 'c1', status: 'unhealthy', failingStreak: 3, detail: 'exit 1' } },
    ]));
    expect(describeApp(state, 'web', [], 3).health).toEqual({ status: 'unhealthy', since: at(3), detail: 'exit 1', failingStreak: 3 });
  });
});
