// The planner's decisions for health gating, crash loops, adoption, drift, rollback and hash versions,
// as given/when/then with golden rendered plans.
import { describe, expect, it } from 'vitest';
import { backoffDelay, BACKOFF_CAP_MS } from '../../../src/core/backoff.js';
import type { Draft } from '../../../src/core/events.js';
import { fold, STABLE_RUN_MS } from '../../../src/core/evolve.js';
import { hashOf } from '../../../src/core/hash.js';
import { plan } from '../../../src/core/plan.js';
import { renderPlan } from '../../../src/core/render.js';
import { acceptsHash, desiredApp, resolveSpec } from '../../../src/core/spec.js';
import type { State } from '../../../src/core/state.js';
import { envelopes, facts, manifest, observed, secret, T0 } from './builders.js';

/** A log that grows event by event; each event is one second after the previous one. */
class Log {
  drafts: Draft[] = [];
  add(...d: Draft[]): State {
    this.drafts.push(...d);
    return this.state;
  }
  get state(): State {
    return fold(envelopes(this.drafts));
  }
  get lastSeq(): number {
    return this.drafts.length;
  }
  /** the time of event `seq` (see builders.envelopes) */
  at(seq = this.lastSeq): number {
    return T0 + seq * 1000;
  }
  /** the executor's record of a successful create/recreate/rollback of `app` at its current desired spec */
  created(app: string, id: string, kind: 'create' | 'recreate' | 'rollback' = 'create'): State {
    const r = resolveSpec(desiredApp(this.state, app)!, this.state);
    if (!r.ok) throw new Error(`test setup: ${app} not resolvable`);
    return this.add({ type: 'ActionSucceeded', source: 'executor', app, data: { kind, containerId: id, spec: r.spec, specHash: r.hash } });
  }
  health(app: string, id: string, status: 'starting' | 'healthy' | 'unhealthy', detail?: string): State {
    return this.add({ type: 'HealthChanged', source: 'health', app, data: { id, status, failingStreak: status === 'unhealthy' ? 3 : 0, ...(detail ? { detail } : {}) } });
  }
}

const text = (state: State, now: number) => renderPlan(plan(state, now).actions);
const db = manifest('db', { ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } });
const api = manifest('api', {}, { dependencies: [{ app: 'db', condition: 'healthy' }] });

describe('health-gated dependencies', () => {
  it('given a dependency that is running but not yet healthy, when planning, then the dependent waits saying since when; once healthy it is created', () => {
    const log = new Log();
    log.add(observed('db', db), observed('api', api));
    log.created('db', 'c-db');
    const startedAt = log.at();
    expect(text(log.state, log.at() + 500)).toBe(
      `blocked api\n  waiting-on-dependency db (db is not healthy (starting) since ${new Date(startedAt).toISOString()}) causedBy #3\n`,
    );
    log.health('db', 'c-db', 'healthy');
    expect(text(log.state, log.at())).toBe('create api\n  container-missing causedBy #2\n');
  });

  it('given a healthy app, when it turns unhealthy, then it is restarted after the backoff and its dependents are held', () => {
    const log = new Log();
    log.add(observed('db', db), observed('api', api));
    log.created('db', 'c-db');
    log.health('db', 'c-db', 'healthy');
    log.health('db', 'c-db', 'unhealthy', 'ECONNREFUSED');
    const seq = log.lastSeq;
    const until = log.at() + backoffDelay('db', 0, 3);
    expect(text(log.state, log.at())).toBe(
      `wait db until ${new Date(until).toISOString()} (attempt 1)\n  unhealthy health "healthy" → "unhealthy" (ECONNREFUSED) causedBy #${seq}\n` +
      `blocked api\n  waiting-on-dependency db (db is not healthy (unhealthy) since ${new Date(log.at()).toISOString()}) causedBy #${seq}\n`,
    );
    expect(plan(log.state, until).actions[0]).toMatchObject({ kind: 'restart', app: 'db', attempt: 0 });
  });
});

describe('crash-loop backoff', () => {
  it('given an app that keeps exiting, when each exit is planned, then the wait doubles from 1 s to the 5 min cap, and a stable run resets it', () => {
    const log = new Log();
    log.add(observed('loop', manifest('loop')));
    log.created('loop', 'c1');
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      log.add({ type: 'ContainerExited', source: 'podman', app: 'loop', data: { id: 'c1', name: 'loop', exitCode: 1 } });
      const [wait] = plan(log.state, log.at()).actions;
      expect(wait).toMatchObject({ kind: 'wait', attempt: i });
      delays.push(wait!.until! - log.at());
      log.add({ type: 'ActionSucceeded', source: 'executor', app: 'loop', data: { kind: 'start', containerId: 'c1', attempt: i } });
    }
    delays.forEach((d, i) => {
      const base = Math.min(1000 * 2 ** i, BACKOFF_CAP_MS);
      expect(d).toBeGreaterThanOrEqual(base * 0.8);
      expect(d).toBeLessThanOrEqual(base * 1.2);
    });
    expect(delays.at(-1)).toBeGreaterThan(BACKOFF_CAP_MS * 0.79);

    // A run of ten minutes counts as stable: the next exit starts the backoff over.
    const stableExit = { ...envelopes([{ type: 'ContainerExited', source: 'podman', app: 'loop', data: { id: 'c1', name: 'loop', exitCode: 1 } }], log.lastSeq + 1)[0]! };
    stableExit.at = log.at() + STABLE_RUN_MS;
    const state = fold([stableExit], log.state);
    expect(plan(state, stableExit.at).actions[0]).toMatchObject({ kind: 'wait', attempt: 0 });
  });
});

describe('adoption and drift', () => {
  const web = manifest('web');
  it('given a container made by hand that matches the desired spec, when planning, then it is adopted, not recreated', () => {
    const log = new Log();
    log.add(observed('web', web), { type: 'UnmanagedContainerObserved', source: 'inventory', app: 'web', data: { id: 'hand', name: 'web', image: 'example/web:1', differences: [] } });
    expect(text(log.state, log.at())).toBe('adopt web\n  unmanaged-match container (web was made elsewhere and matches the desired spec) causedBy #2\n');
  });

  it('given a container made by hand with other settings, when planning, then it is replaced, listing the differences', () => {
    const log = new Log();
    log.add(observed('web', web), {
      type: 'UnmanagedContainerObserved', source: 'inventory', app: 'web',
      data: { id: 'hand', name: 'web', image: 'example/web:0', differences: [{ field: 'image', expected: 'example/web:1', actual: 'example/web:0' }] },
    });
    expect(text(log.state, log.at())).toBe('recreate web\n  unmanaged-conflict image "example/web:0" → "example/web:1" causedBy #2\n');
  });

  it('given a running container whose env was changed by hand, when drift is observed, then it is recreated back', () => {
    const log = new Log();
    log.add(observed('web', web));
    log.created('web', 'c1');
    log.add({ type: 'DriftDetected', source: 'inventory', app: 'web', data: { id: 'c1', differences: [{ field: 'env.MODE', expected: null, actual: 'debug' }] } });
    expect(text(log.state, log.at())).toBe('recreate web\n  drift env.MODE "debug" → (none) causedBy #3\n');
  });

  it('given a container labelled by an older hash version whose spec is unchanged, when judged, then it is accepted', () => {
    const state = new Log().add(observed('web', web), facts({ HOST_IP: '1.1.1.1' }));
    const desired = resolveSpec(state.apps.web!, state);
    if (!desired.ok) throw new Error('setup');
    const v0 = (spec: object) => `v0-${hashOf(spec)}`;
    const hashers = { 0: v0, 1: () => desired.hash };
    expect(acceptsHash({ specHash: v0(desired.spec), hashVersion: 0 }, desired, hashers)).toBe(true);
    expect(acceptsHash({ specHash: v0({ other: true }), hashVersion: 0 }, desired, hashers)).toBe(false);
  });
});

describe('rollback', () => {
  const v1 = manifest('db', { image: 'db:1', ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } });
  const v2 = manifest('db', { image: 'db:2', ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } });

  it('given a healthy app, when an update never becomes healthy, then it is rolled back and held on the good spec until the manifest changes', () => {
    const log = new Log();
    log.add(observed('db', v1, 'm1'), facts({ HOST_IP: '10.0.0.5' }));
    log.created('db', 'c1');
    log.health('db', 'c1', 'healthy');
    const good = log.state.lastGood.db!.specHash;

    log.add(observed('db', v2, 'm2'));
    expect(plan(log.state, log.at()).actions[0]).toMatchObject({ kind: 'recreate' });
    log.created('db', 'c2', 'recreate');
    log.health('db', 'c2', 'unhealthy', 'ECONNREFUSED');
    const failed = log.lastSeq;
    expect(text(log.state, log.at())).toBe(`rollback db\n  update-unhealthy health "starting" → "unhealthy" (ECONNREFUSED) causedBy #${failed}\n`);

    log.add({ type: 'RolledBack', source: 'executor', app: 'db', data: { fromSpecHash: 'bad', badManifestHash: 'm2', toSpecHash: good } });
    log.created('db', 'c3', 'rollback');
    expect(log.state.containers.db!.specHash).toBe(good);
    expect(plan(log.state, log.at()).actions).toEqual([]); // the bad spec is not retried

    // Facts stay current while pinned: a new HOST_IP would still reach the app.
    log.add(observed('db', v2, 'm2'));
    expect(plan(log.state, log.at()).actions).toEqual([]);
    log.add(observed('db', manifest('db', { image: 'db:3', ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } }), 'm3'));
    expect(plan(log.state, log.at()).actions[0]).toMatchObject({ kind: 'recreate', reasons: [expect.objectContaining({ field: 'image', from: 'db:1', to: 'db:3' })] });
  });
});

describe('missing facts and secrets', () => {
  it('given one app needs a secret that is missing, when planning, then only that app waits', () => {
    const log = new Log();
    log.add(
      observed('vault', manifest('vault', { secret_env: [{ key: 'PW', secret_file: 'pw' }] })),
      observed('web', manifest('web')),
      secret('other', 'h'),
    );
    expect(text(log.state, log.at())).toBe('blocked vault\n  waiting-on-secret pw\ncreate web\n  container-missing causedBy #2\n');
  });
});

describe('dependents that follow their dependency', () => {
  it('given a dependent marked restart: true, when its dependency gets a new container, then it is restarted once; one without the mark keeps running', () => {
    const log = new Log();
    log.add(
      observed('bitcoind', manifest('bitcoind')),
      observed('ui', manifest('ui', {}, { dependencies: [{ app: 'bitcoind', restart: true }] })),
      observed('stats', manifest('stats', {}, { dependencies: ['bitcoind'] })),
    );
    log.created('bitcoind', 'b1');
    log.created('ui', 'u1');
    log.created('stats', 's1');
    log.add(observed('bitcoind', manifest('bitcoind', { environment: { DBCACHE: '450' } }), 'h2'));
    log.created('bitcoind', 'b2', 'recreate');
    const replaced = log.lastSeq;
    expect(text(log.state, log.at())).toBe(`restart ui\n  dependency-replaced bitcoind (bitcoind has a new container) causedBy #${replaced}\n`);
    log.add({ type: 'ActionSucceeded', source: 'executor', app: 'ui', data: { kind: 'restart', containerId: 'u1', startedAt: log.at() + 1000 } });
    expect(plan(log.state, log.at()).actions).toEqual([]);
    expect(log.state.restarts.ui).toBeUndefined(); // not a crash: the backoff is untouched
  });
});
