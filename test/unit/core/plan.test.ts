// The planner, given/when/then: given a log, when planning at a time, then these actions (rendered
// exactly, like compose's plan tests, so a change in wording or order is a visible diff).
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/core/backoff.js';
import { checkDraftPlain } from '../../../src/core/events.js';
import { plan } from '../../../src/core/plan.js';
import { facts, manifest, observed, secret, T0 } from './builders.js';
import { given } from './planner-spec.js';

const LATER = T0 + 1_000_000;

const fedimint = manifest('fedimint', {
  derived_env: [{ key: 'FM_API_URL', template: 'wss://{{HOST_IP}}/ws' }],
  secret_env: [{ key: 'FM_PASSWORD', secret_file: 'rpc-password' }],
}, { dependencies: ['bitcoind'] });
const bitcoind = manifest('bitcoind');

/** bitcoind and fedimint created at their desired specs (seq 1-6). */
function running() {
  return given(facts({ HOST_IP: '10.0.0.5' }), secret('rpc-password', 'aaa'), observed('bitcoind', bitcoind), observed('fedimint', fedimint))
    .created('bitcoind', 'c-btc')
    .created('fedimint', 'c-fm');
}

describe('plan', () => {
  it('given a fresh node, when planning, then dependencies are created first and dependents wait visibly', () => {
    given(facts({ HOST_IP: '10.0.0.5' }), secret('rpc-password', 'aaa'), observed('bitcoind', bitcoind), observed('fedimint', fedimint))
      .when(LATER)
      .thenPlan(
        'create bitcoind\n' +
        '  container-missing causedBy #3\n' +
        'blocked fedimint\n' +
        '  waiting-on-dependency bitcoind (bitcoind is not created)\n',
      );
  });

  it('given running apps, when nothing changed, then there is nothing to do', () => {
    running().when(LATER).thenNothingToDo();
  });

  it('given running apps, when HOST_IP changes, then only the app deriving from it is recreated, naming field, values and cause', () => {
    const log = running().and(facts({ HOST_IP: '10.0.0.9' }));
    log.when(LATER).thenPlan(
      'recreate fedimint\n' +
      `  spec-changed env.FM_API_URL "wss://10.0.0.5/ws" → "wss://10.0.0.9/ws" causedBy #${log.lastSeq}\n`,
    );
  });

  it('given running apps, when a secret rotates, then the reason says the secret changed without its value', () => {
    const log = running().and(secret('rpc-password', 'bbb'));
    log.when(LATER).thenPlan(
      'recreate fedimint\n' +
      `  spec-changed secretEnv.FM_PASSWORD (secret changed) → (secret changed) causedBy #${log.lastSeq}\n`,
    );
  });

  it('given a container that ran stably, when it exits, then it is started at once (kubelet\'s first restart)', () => {
    const log = running().and({ type: 'ContainerExited', source: 'podman', app: 'bitcoind', data: { id: 'c-btc', name: 'bitcoind', exitCode: 137 } });
    log.when(log.at()).thenPlan(`start bitcoind (attempt 1)\n  container-exited status "running" → "exited (exit 137)" causedBy #${log.lastSeq}\n`);
  });

  it('given a container restarted once already, when it exits again, then it waits its backoff and then starts', () => {
    const log = running()
      .and({ type: 'ContainerExited', source: 'podman', app: 'bitcoind', data: { id: 'c-btc', name: 'bitcoind', exitCode: 137 } })
      .and({ type: 'ActionSucceeded', source: 'executor', app: 'bitcoind', data: { kind: 'start', containerId: 'c-btc', attempt: 0 } })
      .and({ type: 'ContainerExited', source: 'podman', app: 'bitcoind', data: { id: 'c-btc', name: 'bitcoind', exitCode: 137 } });
    const exitSeq = log.lastSeq;
    const exitAt = log.at();
    const until = exitAt + backoffDelay('bitcoind', 0, exitSeq);
    expect(until - exitAt).toBeGreaterThanOrEqual(800);
    expect(until - exitAt).toBeLessThanOrEqual(1200);
    log.when(exitAt + 10).thenPlan(
      `wait bitcoind until ${new Date(until).toISOString()} (attempt 2)\n` +
      `  container-exited status "running" → "exited (exit 137)" causedBy #${exitSeq}\n`,
    );
    log.when(until).thenPlan(
      'start bitcoind (attempt 2)\n' +
      `  container-exited status "running" → "exited (exit 137)" causedBy #${exitSeq}\n`,
    );
  });

  it("given restart 'no', when the container exits, then it is left stopped", () => {
    given(observed('oneshot', manifest('oneshot', { restart: 'no' })))
      .created('oneshot', 'c1')
      .and({ type: 'ContainerExited', source: 'podman', app: 'oneshot', data: { id: 'c1', name: 'oneshot', exitCode: 1 } })
      .when(LATER)
      .thenNothingToDo();
  });

  it('given a running app, when its manifest is rejected, then it is held, not removed', () => {
    const log = running().and({
      type: 'ManifestRejected', source: 'manifests', app: 'fedimint',
      data: { path: 'apps/fedimint/manifest.yml', hash: 'x', errors: [{ file: 'apps/fedimint/manifest.yml', line: 4, col: 3, path: 'container.imgae', message: "unknown key 'imgae'" }] },
    });
    log.when(LATER).thenPlan(
      'blocked fedimint\n' +
      `  manifest-rejected (4:3: container.imgae: unknown key 'imgae') causedBy #${log.lastSeq}\n`,
    );
  });

  it('given a running app, when its manifest is removed, then its container is removed with the reason', () => {
    const log = running().and({ type: 'ManifestRemoved', source: 'manifests', app: 'fedimint', data: { path: 'apps/fedimint/manifest.yml' } });
    log.when(LATER).thenPlan(`remove fedimint\n  app-removed container "fedimint" → (none) causedBy #${log.lastSeq}\n`);
  });

  it('given no HOST_IP and no secret, when planning, then the app waits on exactly those and never gets a placeholder', () => {
    given(observed('bitcoind', bitcoind), observed('fedimint', fedimint))
      .when(T0)
      .thenPlan(
        'create bitcoind\n' +
        '  container-missing causedBy #1\n' +
        'blocked fedimint\n' +
        '  waiting-on-fact HOST_IP\n' +
        '  waiting-on-secret rpc-password\n',
      );
  });

  it('given a failed action, when planning within the retry delay, then it waits with the failure as reason', () => {
    const log = given(observed('bitcoind', bitcoind), {
      type: 'ActionFailed', source: 'executor', app: 'bitcoind', data: { kind: 'create', error: { code: 'pull-failed', message: 'no registry' } },
    });
    const until = T0 + 2000 + backoffDelay('bitcoind', 0, 2);
    log.when(T0 + 2000 + 100).thenPlan(`wait bitcoind until ${new Date(until).toISOString()} (attempt 1)\n  retry-after-failure create (no registry) causedBy #2\n`);
  });
});

describe("the plan's actions, as the log stores them", () => {
  it('given plans with actions of several kinds and reasons, when stored, then their keys are already in the schema order zod gives, so the exact checks vouch for them without zod', () => {
    const plans = [
      given(facts({ HOST_IP: '10.0.0.5' }), secret('rpc-password', 'aaa'), observed('bitcoind', bitcoind), observed('fedimint', fedimint)).state,
      running().and(facts({ HOST_IP: '10.0.0.9' })).state,
    ].map((s) => plan(s, LATER).actions);
    expect(plans.flat().map((a) => a.kind)).toEqual(expect.arrayContaining(['create', 'blocked', 'recreate']));
    for (const actions of plans) {
      const data = { atSeq: 1, stateHash: 'h', plannedAt: LATER, actions };
      const zod = checkDraftPlain({ type: 'PlanDecided', source: 'reconciler', data });
      expect(zod.ok).toBe(true);
      expect(JSON.stringify(data)).toBe(JSON.stringify(zod.ok ? zod.data : undefined));
    }
  });
});
