// The planner's decisions for health gating, crash loops, adoption, drift, rollback and hash versions,
// as given/when/then with golden rendered plans.
import { describe, expect, it } from 'vitest';
import { backoffDelay, BACKOFF_CAP_MS } from '../../../src/core/backoff.js';
import { STABLE_RUN_MS } from '../../../src/core/evolve.js';
import { hashOf } from '../../../src/core/hash.js';
import { acceptsHash, resolveSpec } from '../../../src/core/spec.js';
import { facts, manifest, observed, secret } from './builders.js';
import { given } from './planner-spec.js';

const iso = (ms: number) => new Date(ms).toISOString();
const db = manifest('db', { ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } });
const api = manifest('api', {}, { dependencies: [{ app: 'db', condition: 'healthy' }] });

describe('health-gated dependencies', () => {
  it('given a dependency that is running but not yet healthy, when planning, then the dependent waits saying since when; once healthy it is created', () => {
    const log = given(observed('db', db), observed('api', api)).created('db', 'c-db');
    const startedAt = log.at();
    log.when(log.at() + 500).thenPlan(
      `blocked api\n  waiting-on-dependency db (db is not healthy (starting) since ${iso(startedAt)}) causedBy #3\n`,
    );
    log.health('db', 'c-db', 'healthy');
    log.when(log.at()).thenPlan('create api\n  container-missing causedBy #2\n');
  });

  it('given a healthy app, when it turns unhealthy, then it is restarted at once and its dependents are held; when it turns unhealthy again, after the backoff', () => {
    const log = given(observed('db', db), observed('api', api))
      .created('db', 'c-db')
      .health('db', 'c-db', 'healthy')
      .health('db', 'c-db', 'unhealthy', 'ECONNREFUSED');
    const seq = log.lastSeq;
    const held = (since: number, s: number) => `blocked api\n  waiting-on-dependency db (db is not healthy (unhealthy) since ${iso(since)}) causedBy #${s}\n`;
    log.when(log.at()).thenPlan(`restart db (attempt 1)\n  unhealthy health "healthy" → "unhealthy" (ECONNREFUSED) causedBy #${seq}\n` + held(log.at(), seq));

    log.and({ type: 'ActionSucceeded', source: 'executor', app: 'db', data: { kind: 'restart', containerId: 'c-db', attempt: 0 } })
      .health('db', 'c-db', 'healthy')
      .health('db', 'c-db', 'unhealthy', 'ECONNREFUSED');
    const again = log.lastSeq;
    const until = log.at() + backoffDelay('db', 0, log.state.containers.db!.statusSeq);
    log.when(log.at()).thenPlan(`wait db until ${iso(until)} (attempt 2)\n  unhealthy health "healthy" → "unhealthy" (ECONNREFUSED) causedBy #${again}\n` + held(log.at(), again));
    log.when(until).thenPlan(`restart db (attempt 2)\n  unhealthy health "healthy" → "unhealthy" (ECONNREFUSED) causedBy #${again}\n` + held(log.at(), again));
  });
});

describe('crash-loop backoff', () => {
  it('given an app that keeps exiting, when each exit is planned, then the first restart is at once, then the wait doubles from 1 s to the 5 min cap, and a stable run resets it', () => {
    const log = given(observed('loop', manifest('loop'))).created('loop', 'c1');
    const exit = { type: 'ContainerExited', source: 'podman', app: 'loop', data: { id: 'c1', name: 'loop', exitCode: 1 } } as const;
    const exited = (seq: number) => `  container-exited status "running" → "exited (exit 1)" causedBy #${seq}\n`;
    log.and(exit);
    log.when(log.at()).thenPlan(`start loop (attempt 1)\n${exited(log.lastSeq)}`);
    log.and({ type: 'ActionSucceeded', source: 'executor', app: 'loop', data: { kind: 'start', containerId: 'c1', attempt: 0 } });
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      log.and(exit);
      const delay = backoffDelay('loop', i, log.lastSeq);
      log.when(log.at()).thenPlan(`wait loop until ${iso(log.at() + delay)} (attempt ${i + 2})\n${exited(log.lastSeq)}`);
      delays.push(delay);
      log.and({ type: 'ActionSucceeded', source: 'executor', app: 'loop', data: { kind: 'start', containerId: 'c1', attempt: i + 1 } });
    }
    delays.forEach((d, i) => {
      const base = Math.min(1000 * 2 ** i, BACKOFF_CAP_MS);
      expect(d).toBeGreaterThanOrEqual(base * 0.8);
      expect(d).toBeLessThanOrEqual(base * 1.2);
    });
    expect(delays.at(-1)).toBeGreaterThan(BACKOFF_CAP_MS * 0.79);

    // A run of ten minutes counts as stable: the next exit starts the backoff over.
    const stableAt = log.at() + STABLE_RUN_MS;
    log.andAt(stableAt, exit);
    log.when(stableAt).thenPlan(`start loop (attempt 1)\n${exited(log.lastSeq)}`);
  });
});

describe('adoption and drift', () => {
  const web = manifest('web');
  it('given a container made by hand that matches the desired spec, when planning, then it is adopted, not recreated', () => {
    const log = given(observed('web', web), { type: 'UnmanagedContainerObserved', source: 'inventory', app: 'web', data: { id: 'hand', name: 'web', image: 'example/web:1', differences: [] } });
    log.when(log.at()).thenPlan('adopt web\n  unmanaged-match container (web was made elsewhere and matches the desired spec) causedBy #2\n');
  });

  it('given a container made by hand with other settings, when planning, then it is replaced, listing the differences', () => {
    const log = given(observed('web', web), {
      type: 'UnmanagedContainerObserved', source: 'inventory', app: 'web',
      data: { id: 'hand', name: 'web', image: 'example/web:0', differences: [{ field: 'image', expected: 'example/web:1', actual: 'example/web:0' }] },
    });
    log.when(log.at()).thenPlan('recreate web\n  unmanaged-conflict image "example/web:0" → "example/web:1" causedBy #2\n');
  });

  it('given a running container whose env was changed by hand, when drift is observed, then it is recreated back', () => {
    const log = given(observed('web', web))
      .created('web', 'c1')
      .and({ type: 'DriftDetected', source: 'inventory', app: 'web', data: { id: 'c1', differences: [{ field: 'env.MODE', expected: null, actual: 'debug' }] } });
    log.when(log.at()).thenPlan('recreate web\n  drift env.MODE "debug" → (none) causedBy #3\n');
  });

  it('given a container labelled by an older hash version whose spec is unchanged, when judged, then it is accepted', () => {
    const state = given(observed('web', web), facts({ HOST_IP: '1.1.1.1' })).state;
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
    const log = given(observed('db', v1, 'm1'), facts({ HOST_IP: '10.0.0.5' }))
      .created('db', 'c1')
      .health('db', 'c1', 'healthy');
    const good = log.state.lastGood.db!.specHash;

    log.and(observed('db', v2, 'm2'));
    log.when(log.at()).thenPlan(`recreate db\n  spec-changed image "db:1" → "db:2" causedBy #${log.lastSeq}\n`);
    log.created('db', 'c2', 'recreate');
    log.health('db', 'c2', 'unhealthy', 'ECONNREFUSED');
    const failed = log.lastSeq;
    log.when(log.at()).thenPlan(`rollback db\n  update-unhealthy health "starting" → "unhealthy" (ECONNREFUSED) causedBy #${failed}\n`);

    log.and({ type: 'RolledBack', source: 'executor', app: 'db', data: { fromSpecHash: 'bad', badManifestHash: 'm2', toSpecHash: good } });
    log.created('db', 'c3', 'rollback');
    expect(log.state.containers.db!.specHash).toBe(good);
    log.when(log.at()).thenNothingToDo(); // the bad spec is not retried

    // Facts stay current while pinned: a new HOST_IP would still reach the app.
    log.and(observed('db', v2, 'm2'));
    log.when(log.at()).thenNothingToDo();
    log.and(observed('db', manifest('db', { image: 'db:3', ports: [{ host: 15432, container: 5432 }], health_check: { type: 'tcp', port: 5432 } }), 'm3'));
    log.when(log.at()).thenPlan(`recreate db\n  spec-changed image "db:1" → "db:3" causedBy #${log.lastSeq}\n`);
  });
});

describe('missing facts and secrets', () => {
  it('given one app needs a secret that is missing, when planning, then only that app waits', () => {
    const log = given(
      observed('vault', manifest('vault', { secret_env: [{ key: 'PW', secret_file: 'pw' }] })),
      observed('web', manifest('web')),
      secret('other', 'h'),
    );
    log.when(log.at()).thenPlan('blocked vault\n  waiting-on-secret pw\ncreate web\n  container-missing causedBy #2\n');
  });
});

describe('dependents that follow their dependency', () => {
  it('given a dependent marked restart: true, when its dependency gets a new container, then it is restarted once; one without the mark keeps running', () => {
    const log = given(
      observed('bitcoind', manifest('bitcoind')),
      observed('ui', manifest('ui', {}, { dependencies: [{ app: 'bitcoind', restart: true }] })),
      observed('stats', manifest('stats', {}, { dependencies: ['bitcoind'] })),
    )
      .created('bitcoind', 'b1')
      .created('ui', 'u1')
      .created('stats', 's1')
      .and(observed('bitcoind', manifest('bitcoind', { environment: { DBCACHE: '450' } }), 'h2'))
      .created('bitcoind', 'b2', 'recreate');
    const replaced = log.lastSeq;
    log.when(log.at()).thenPlan(`restart ui\n  dependency-replaced bitcoind (bitcoind has a new container) causedBy #${replaced}\n`);
    log.and({ type: 'ActionSucceeded', source: 'executor', app: 'ui', data: { kind: 'restart', containerId: 'u1', startedAt: log.at() + 1000 } });
    log.when(log.at()).thenNothingToDo();
    expect(log.state.restarts.ui).toBeUndefined(); // not a crash: the backoff is untouched
  });
});
