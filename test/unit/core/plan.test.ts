// The planner, given/when/then: given a log, when planning at a time, then these actions (rendered
// exactly, like compose's plan tests, so a change in wording or order is a visible diff).
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { fold } from '../../../src/core/evolve.js';
import { backoffDelay } from '../../../src/core/backoff.js';
import { plan } from '../../../src/core/plan.js';
import { renderPlan } from '../../../src/core/render.js';
import { resolveSpec } from '../../../src/core/spec.js';
import type { State } from '../../../src/core/state.js';
import { envelopes, facts, manifest, observed, secret, T0 } from './builders.js';

const given = (...drafts: Draft[]) => fold(envelopes(drafts));
const planText = (state: State, now = T0 + 1_000_000) => renderPlan(plan(state, now).actions);

const fedimint = manifest('fedimint', {
  derived_env: [{ key: 'FM_API_URL', template: 'wss://{{HOST_IP}}/ws' }],
  secret_env: [{ key: 'FM_PASSWORD', secret_file: 'rpc-password' }],
}, { dependencies: ['bitcoind'] });
const bitcoind = manifest('bitcoind');

/** Simulates the executor's record of a successful create for `app` at the current desired spec. */
function created(state: State, app: string, id: string): Draft {
  const r = resolveSpec(state.apps[app]!, state);
  if (!r.ok) throw new Error(`test setup: ${app} not resolvable`);
  return { type: 'ActionSucceeded', source: 'executor', app, data: { kind: 'create', containerId: id, spec: r.spec, specHash: r.hash } };
}

function running(): State {
  const base = [facts({ HOST_IP: '10.0.0.5' }), secret('rpc-password', 'aaa'), observed('bitcoind', bitcoind), observed('fedimint', fedimint)];
  let state = given(...base);
  const c1 = created(state, 'bitcoind', 'c-btc');
  state = given(...base, c1);
  return given(...base, c1, created(state, 'fedimint', 'c-fm'));
}

describe('plan', () => {
  it('given a fresh node, when planning, then dependencies are created first and dependents wait visibly', () => {
    const state = given(facts({ HOST_IP: '10.0.0.5' }), secret('rpc-password', 'aaa'), observed('bitcoind', bitcoind), observed('fedimint', fedimint));
    expect(planText(state)).toBe(
      'create bitcoind\n' +
      '  container-missing causedBy #3\n' +
      'blocked fedimint\n' +
      '  waiting-on-dependency bitcoind (bitcoind is not created)\n',
    );
  });

  it('given running apps, when nothing changed, then there is nothing to do', () => {
    expect(plan(running(), T0 + 1e6).actions).toEqual([]);
  });

  it('given running apps, when HOST_IP changes, then only the app deriving from it is recreated, naming field, values and cause', () => {
    const before = running();
    const state = fold(envelopes([facts({ HOST_IP: '10.0.0.9' })], before.seq + 1), before);
    expect(planText(state)).toBe(
      'recreate fedimint\n' +
      `  spec-changed env.FM_API_URL "wss://10.0.0.5/ws" → "wss://10.0.0.9/ws" causedBy #${before.seq + 1}\n`,
    );
  });

  it('given running apps, when a secret rotates, then the reason says the secret changed without its value', () => {
    const before = running();
    const state = fold(envelopes([secret('rpc-password', 'bbb')], before.seq + 1), before);
    expect(planText(state)).toBe(
      'recreate fedimint\n' +
      `  spec-changed secretEnv.FM_PASSWORD (secret changed) → (secret changed) causedBy #${before.seq + 1}\n`,
    );
  });

  it('given an exited container, when planning before and after the backoff, then it waits and then starts', () => {
    const before = running();
    const exitSeq = before.seq + 1;
    const exited = fold(envelopes([{ type: 'ContainerExited', source: 'podman', app: 'bitcoind', data: { id: 'c-btc', name: 'bitcoind', exitCode: 137 } }], exitSeq), before);
    const exitAt = T0 + exitSeq * 1000;
    const until = exitAt + backoffDelay('bitcoind', 0, exitSeq);
    expect(until - exitAt).toBeGreaterThanOrEqual(800);
    expect(until - exitAt).toBeLessThanOrEqual(1200);
    expect(planText(exited, exitAt + 10)).toBe(
      `wait bitcoind until ${new Date(until).toISOString()} (attempt 1)\n` +
      `  container-exited status "running" → "exited (exit 137)" causedBy #${exitSeq}\n`,
    );
    expect(planText(exited, until)).toBe(
      'start bitcoind (attempt 1)\n' +
      `  container-exited status "running" → "exited (exit 137)" causedBy #${exitSeq}\n`,
    );
  });

  it("given restart 'no', when the container exits, then it is left stopped", () => {
    const m = manifest('oneshot', { restart: 'no' });
    let state = given(observed('oneshot', m));
    state = given(observed('oneshot', m), created(state, 'oneshot', 'c1'), { type: 'ContainerExited', source: 'podman', app: 'oneshot', data: { id: 'c1', name: 'oneshot', exitCode: 1 } });
    expect(plan(state, T0 + 1e6).actions).toEqual([]);
  });

  it('given a running app, when its manifest is rejected, then it is held, not removed', () => {
    const before = running();
    const state = fold(envelopes([{
      type: 'ManifestRejected', source: 'manifests', app: 'fedimint',
      data: { path: 'apps/fedimint/manifest.yml', hash: 'x', errors: [{ file: 'apps/fedimint/manifest.yml', line: 4, col: 3, path: 'container.imgae', message: "unknown key 'imgae'" }] },
    }], before.seq + 1), before);
    expect(planText(state)).toBe(
      'blocked fedimint\n' +
      `  manifest-rejected (4:3: container.imgae: unknown key 'imgae') causedBy #${before.seq + 1}\n`,
    );
  });

  it('given a running app, when its manifest is removed, then its container is removed with the reason', () => {
    const before = running();
    const state = fold(envelopes([{ type: 'ManifestRemoved', source: 'manifests', app: 'fedimint', data: { path: 'apps/fedimint/manifest.yml' } }], before.seq + 1), before);
    expect(planText(state)).toBe(`remove fedimint\n  app-removed container "fedimint" → (none) causedBy #${before.seq + 1}\n`);
  });

  it('given no HOST_IP and no secret, when planning, then the app waits on exactly those and never gets a placeholder', () => {
    const state = given(observed('bitcoind', bitcoind), observed('fedimint', fedimint));
    expect(plan(state, T0).actions.find((a) => a.app === 'fedimint')).toEqual({
      kind: 'blocked', app: 'fedimint',
      reasons: [{ code: 'waiting-on-fact', field: 'HOST_IP' }, { code: 'waiting-on-secret', field: 'rpc-password' }],
    });
  });

  it('given a failed action, when planning within the retry delay, then it waits with the failure as reason', () => {
    const state = given(observed('bitcoind', bitcoind), {
      type: 'ActionFailed', source: 'executor', app: 'bitcoind', data: { kind: 'create', error: { code: 'pull-failed', message: 'no registry' } },
    });
    const until = T0 + 2000 + backoffDelay('bitcoind', 0, 2);
    expect(planText(state, T0 + 2000 + 100)).toBe(`wait bitcoind until ${new Date(until).toISOString()} (attempt 1)\n  retry-after-failure create (no registry) causedBy #2\n`);
  });
});
