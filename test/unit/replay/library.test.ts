// The library of captured boots (events/<scenario>.ndjson, recorded from the real daemon on a real
// podman by `npm run record`; replay/<scenario>.json, what each must replay to) replays offline with
// today's code: every record decodes, today's planner makes every recorded decision again, the final
// state and `why` are as recorded, and each scenario still shows what it was recorded for.
//
// These tests exist to FAIL when the fold or the planner changes a decision. If that change is on
// purpose, re-record (`npm run record`, see events/README.md) and say so in the commit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action, Envelope, EnvelopeOf, EventType } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { canonicalJson } from '../../../src/core/hash.js';
import { plan } from '../../../src/core/plan.js';
import { checkDecisions, stateAt, type Planner } from '../../../src/core/replay.js';
import { explain, renderWhy } from '../../../src/core/why.js';
import { collect } from '../../../src/log/fold.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { ROTATED_SECRET_NEEDLE } from '../../record/values.js';
import type { Expectation } from '../../record/recorder.js';

const ROOT = join(import.meta.dirname, '../../..');
const EVENTS = join(ROOT, 'events');
const REPLAY = join(ROOT, 'replay');

/** What `npm run record` records (test/record/library.record.ts); a missing fixture is an error. */
const SCENARIOS = [
  'first-boot-demo', 'host-ip-change', 'crash-loop', 'bad-image-rollback', 'secret-rotation', 'drift-fixed',
  'killed-mid-recreate', 'demo-host-ip-change',
];


/** Every events/*.ndjson with a replay/*.json beside it. */
const library = readdirSync(EVENTS)
  .filter((f) => f.endsWith('.ndjson') && existsSync(join(REPLAY, f.replace(/\.ndjson$/, '.json'))))
  .map((f) => f.replace(/\.ndjson$/, ''))
  .sort();

interface Capture {
  events: Envelope[];
  corrupt: string[];
  /** the ndjson as written */
  text: string;
  expected: Expectation;
  /** the expectation file as written */
  expectedText: string;
}

const loaded = new Map<string, Promise<Capture>>();
function load(name: string): Promise<Capture> {
  let capture = loaded.get(name);
  if (!capture) {
    capture = (async () => {
      const corrupt: string[] = [];
      const file = join(EVENTS, `${name}.ndjson`);
      const events = await collect(readNdjson(file), (seq, reason) => corrupt.push(`#${seq}: ${reason}`));
      const expectedText = readFileSync(join(REPLAY, `${name}.json`), 'utf8');
      return { events, corrupt, text: readFileSync(file, 'utf8'), expected: JSON.parse(expectedText) as Expectation, expectedText };
    })();
    loaded.set(name, capture);
  }
  return capture;
}

const ofType = <T extends EventType>(events: readonly Envelope[], type: T, app?: string): EnvelopeOf<T>[] =>
  events.filter((e): e is EnvelopeOf<T> => e.type === type && (app === undefined || e.app === app));
const started = (events: readonly Envelope[], kind: Action['kind'], app?: string) =>
  ofType(events, 'ActionStarted', app).filter((e) => e.data.action.kind === kind);
const outcomeOf = (events: readonly Envelope[], action: Envelope) =>
  events.find((o) => (o.type === 'ActionSucceeded' || o.type === 'ActionFailed') && o.causedBy === action.seq);
const lastWhy = (events: readonly Envelope[], app: string) => renderWhy(explain(events, app).slice(-1));

describe('the library', () => {
  it('given events/ and replay/, when listed, then every recorded scenario is there and every expectation has its log', () => {
    expect(library).toEqual(expect.arrayContaining(SCENARIOS));
    const expectations = readdirSync(REPLAY).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(expectations.filter((n) => !library.includes(n))).toEqual([]);
  });
});

describe.each(library)('captured boot %s', (name) => {
  it('given the log, when read, then every record decodes and the count is as recorded', async () => {
    const { events, corrupt, text, expected } = await load(name);
    expect(corrupt).toEqual([]);
    expect(text.trimEnd().split('\n')).toHaveLength(events.length);
    expect(expected.scenario).toBe(name);
    expect(events.length).toBe(expected.events);
    expect(events.at(-1)?.seq).toBe(expected.finalSeq);
  });

  it("given the log, when each recorded decision is re-planned from the state it was made on, then today's planner agrees", async () => {
    const { events, expected } = await load(name);
    const result = checkDecisions(events);
    expect(result.divergence).toBeUndefined();
    expect(result.checked).toBe(expected.decisions);
    expect(ofType(events, 'PlanDecided')).toHaveLength(expected.decisions);
  });

  it('given the log, when folded whole, then the final state hash is as recorded', async () => {
    const { events, expected } = await load(name);
    expect(stateHash(fold(events))).toBe(expected.finalStateHash);
  });

  it("given the log, when asking why about each app, then the answer is as recorded", async () => {
    const { events, expected } = await load(name);
    expect(Object.keys(expected.why).length).toBeGreaterThan(0);
    for (const [app, text] of Object.entries(expected.why)) expect(lastWhy(events, app), app).toBe(text);
  });

  it('given a planner that never takes one kind of action, when the log is checked, then it diverges at the first decision that took it', async () => {
    const { events } = await load(name);
    const kinds = [...new Set(ofType(events, 'PlanDecided').flatMap((d) => d.data.actions.map((a) => a.kind)))];
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) {
      const without: Planner = (state, now) => ({ actions: plan(state, now).actions.filter((a) => a.kind !== kind) });
      const first = ofType(events, 'PlanDecided').find((d) => d.data.actions.some((a) => a.kind === kind))!;
      expect(checkDecisions(events, without).divergence, `a planner without '${kind}'`).toMatchObject({ seq: first.seq, kind: 'plan' });
    }
  });
});

// What each scenario was recorded for, asserted on the log itself.
describe('first-boot-demo', () => {
  const apps = ['bitcoind', 'electrs', 'bitcoin-ui', 'fedimint'];
  it('given an empty node, when the demo catalog boots, then each app is created once, bitcoind before its dependents, and the last plan is converged', async () => {
    const { events } = await load('first-boot-demo');
    for (const app of apps) expect(started(events, 'create', app), app).toHaveLength(1);
    const bitcoind = outcomeOf(events, started(events, 'create', 'bitcoind')[0]!)!;
    expect(bitcoind.type).toBe('ActionSucceeded');
    for (const app of apps.slice(1)) expect(started(events, 'create', app)[0]!.seq, app).toBeGreaterThan(bitcoind.seq);
    expect(ofType(events, 'PlanDecided').at(-1)!.data.actions).toEqual([]);
    expect(ofType(events, 'ImageProgress').length).toBeGreaterThan(0); // built from their folders
  });
});

describe('host-ip-change', () => {
  it('given HOST_IP changes, when asking why fedimint was last recreated, then it names the HostFactsObserved and the env key; bitcoind and electrs were never recreated', async () => {
    const { events } = await load('host-ip-change');
    const change = ofType(events, 'HostFactsObserved').find((e) => e.data.changed.includes('HOST_IP') && e.data.facts.HOST_IP === '10.0.0.9')!;
    const why = lastWhy(events, 'fedimint');
    expect(why).toMatch(/^#\d+ recreate fedimint /);
    expect(why).toContain(`because spec-changed env.FM_P2P_URL "fedimint://10.0.0.5:8173" → "fedimint://10.0.0.9:8173" causedBy #${change.seq}\n`);
    expect(why).toContain(`← #${change.seq} HostFactsObserved HOST_IP "10.0.0.5" → "10.0.0.9"\n`);
    for (const app of ['bitcoind', 'electrs']) {
      expect(ofType(events, 'ActionStarted', app).map((e) => e.data.action.kind), app).toEqual(['create']);
    }
  });
});

describe('crash-loop', () => {
  it('given an app that exits at once, when it loops, then its first restart comes at once, BackoffScheduled attempts 1, 2, 3 come in order and no restart comes before its window', async () => {
    const { events } = await load('crash-loop');
    const firstExit = ofType(events, 'ContainerExited', 'crasher')[0] ?? ofType(events, 'ContainerObserved', 'crasher').find((e) => e.data.state === 'exited');
    const firstRestart = started(events, 'start', 'crasher')[0];
    expect(firstRestart?.data.action.attempt).toBe(0);
    expect(firstRestart!.at - firstExit!.at, 'the first restart does not wait').toBeLessThan(500);
    const backoffs = ofType(events, 'BackoffScheduled', 'crasher');
    expect(backoffs.map((e) => e.data.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    for (const b of backoffs) {
      const restart = started(events, 'start', 'crasher').find((s) => s.data.action.attempt === b.data.attempt);
      if (restart) expect(restart.at, `restart attempt ${b.data.attempt}`).toBeGreaterThanOrEqual(b.data.until);
    }
    expect(backoffs.map((b) => b.data.delayMs).every((d, i, all) => i === 0 || d > all[i - 1]!)).toBe(true); // doubling, jitter or not
  });
});

describe('bad-image-rollback', () => {
  it('given an update that never becomes healthy, when rolled back, then it returns to the healthy spec and nothing else is started after', async () => {
    const { events } = await load('bad-image-rollback');
    const [rolled] = ofType(events, 'RolledBack', 'web');
    expect(rolled).toBeDefined();
    const firstCreate = ofType(events, 'ActionSucceeded', 'web').find((e) => e.data.kind === 'create')!;
    expect(rolled!.data.toSpecHash).toBe(firstCreate.data.specHash);
    expect(lastWhy(events, 'web')).toMatch(/^#\d+ rollback web [^\n]*\n {2}because update-unhealthy health "starting" → "unhealthy"/);
    expect(ofType(events, 'ActionStarted', 'web').filter((e) => e.seq > rolled!.seq)).toEqual([]);
  });
});

describe('secret-rotation', () => {
  it('given a rotated secret, when the app using it is recreated, then the log and the expectations never hold its value', async () => {
    const { events, text, expectedText } = await load('secret-rotation');
    expect(text).not.toContain(ROTATED_SECRET_NEEDLE);
    expect(expectedText).not.toContain(ROTATED_SECRET_NEEDLE);
    const why = lastWhy(events, 'vault');
    expect(why).toMatch(/^#\d+ recreate vault /);
    expect(why).toContain('spec-changed secretEnv.RPC_PASSWORD (secret changed) → (secret changed)');
    expect(why).toContain('SecretObserved rpc-password (secret) → (secret changed)');
    expect(started(events, 'recreate', 'bystander')).toEqual([]);
  });
});

describe('drift-fixed', () => {
  it('given a container removed by hand and one forged while the daemon was down, when converged, then why names the removal and the drift', async () => {
    const { events } = await load('drift-fixed');
    expect(lastWhy(events, 'lost')).toMatch(/^#\d+ create lost [^\n]*\n {2}because container-missing causedBy #\d+\n {4}← #\d+ ContainerRemoved /);
    expect(lastWhy(events, 'forged')).toMatch(/^#\d+ recreate forged [^\n]*\n {2}because drift env.MODE "stormy" → "calm" causedBy #\d+\n {4}← #\d+ DriftDetected /);
    const drift = ofType(events, 'DriftDetected', 'forged')[0]!;
    expect(drift.boot).toBe(2); // seen by the boot after the forgery
  });
});

describe('killed-mid-recreate', () => {
  it('given the daemon killed after ActionStarted, when it restarts, then that action has no outcome and a later action for the app succeeds', async () => {
    const { events } = await load('killed-mid-recreate');
    const interrupted = started(events, 'recreate', 'slowstop').filter((e) => outcomeOf(events, e) === undefined);
    expect(interrupted).toHaveLength(1);
    const healed = ofType(events, 'ActionSucceeded', 'slowstop').find((e) => e.seq > interrupted[0]!.seq);
    expect(healed).toMatchObject({ boot: interrupted[0]!.boot + 1, data: { kind: 'recreate' } });
    expect(ofType(events, 'BootStopped').map((e) => e.boot)).toEqual([healed!.boot]); // the killed boot never stopped
    expect(renderWhy(explain(events, 'slowstop'))).toContain('  → (no outcome recorded: interrupted?)\n');
  });
});

describe('demo-host-ip-change', () => {
  it('given the demo capture, when asking why fedimint was recreated, then the HOST_IP change is the root cause', async () => {
    const { events } = await load('demo-host-ip-change');
    const change = ofType(events, 'HostFactsObserved').find((e) => e.data.changed.includes('HOST_IP') && e.data.facts.HOST_IP === '10.0.0.9')!;
    const last = explain(events, 'fedimint').at(-1)!;
    expect(last.action.kind).toBe('recreate');
    expect(renderWhy([last])).toContain(
      `because spec-changed env.FM_P2P_URL "fedimint://10.0.0.5:8173" → "fedimint://10.0.0.9:8173" causedBy #${change.seq}\n` +
      `    ← #${change.seq} HostFactsObserved HOST_IP "10.0.0.5" → "10.0.0.9"\n`,
    );
    expect(last.outcome?.type).toBe('ActionSucceeded');
  });

  it('given electrs\' manifest broken while it runs, when checked, then electrs is held (not touched) until the fix', async () => {
    const { events } = await load('demo-host-ip-change');
    const [rejected] = ofType(events, 'ManifestRejected', 'electrs');
    const fixed = ofType(events, 'ManifestObserved', 'electrs').find((e) => e.seq > rejected!.seq)!;
    expect(ofType(events, 'ActionStarted', 'electrs').filter((e) => e.seq > rejected!.seq && e.seq < fixed.seq)).toEqual([]);
    const held = ofType(events, 'PlanDecided').find((d) => d.seq > rejected!.seq)!;
    expect(held.data.actions).toContainEqual(expect.objectContaining({ kind: 'blocked', app: 'electrs', reasons: [expect.objectContaining({ code: 'manifest-rejected' })] }));
  });
});

describe('divergence detection', () => {
  it('given a planner whose restart rule changed, when the crash loop is checked, then the first decision it would make differently is reported', async () => {
    const { events } = await load('crash-loop');
    // a "planner change": never restart exited containers
    const changed: Planner = (state, now) => ({ actions: plan(state, now).actions.filter((a) => !(a.kind === 'start' || (a.kind === 'wait' && a.attempt !== undefined))) });
    const result = checkDecisions(events, changed);
    const firstRestartDecision = ofType(events, 'PlanDecided').find((e) => e.data.actions.some((a) => a.kind === 'wait' || a.kind === 'start'))!;
    expect(result.divergence).toMatchObject({ seq: firstRestartDecision.seq, kind: 'plan' });
    expect(result.divergence!.replayed.actions).not.toEqual(result.divergence!.recorded.actions);
  });

  it('given a planner that waits twice as long, when the crash loop is checked, then a decision diverges though the state it saw is the same', async () => {
    const { events } = await load('crash-loop');
    // a loop of our own over stateAt: re-plan each decision with the altered rule
    const slower = (state: Parameters<Planner>[0], now: number) => plan(state, now).actions.map((a) =>
      a.kind === 'wait' && a.until !== undefined ? { ...a, until: now + 2 * (a.until - now) } : a);
    const diverged = ofType(events, 'PlanDecided').find((d) =>
      canonicalJson(slower(stateAt(events, d.data.atSeq), d.data.plannedAt)) !== canonicalJson(d.data.actions));
    expect(diverged).toBeDefined();
    expect(stateHash(stateAt(events, diverged!.data.atSeq))).toBe(diverged!.data.stateHash);
    expect(checkDecisions(events, (s, now) => ({ actions: slower(s, now) })).divergence?.seq).toBe(diverged!.seq);
  });

  it('given a log with an observation taken out, when checked, then the state a later decision saw is reported as different', async () => {
    const { events } = await load('host-ip-change');
    const change = ofType(events, 'HostFactsObserved').find((e) => e.data.facts.HOST_IP === '10.0.0.9')!;
    const result = checkDecisions(events.filter((e) => e.seq !== change.seq));
    expect(result.divergence).toMatchObject({ kind: 'state' });
    expect(result.divergence!.seq).toBeGreaterThan(change.seq);
  });
});
