// The machine interface: `--json` carries data (whole ids and hashes, enums, no sentences inside
// fields) and ends with the exit code of the text form.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
import { REAL_LOG } from '../../support/bad-logs.js';
import { run } from './run.js';

const ROTATION = join(REPO_ROOT, 'events', 'secret-rotation.ndjson');
const HASH = /^[0-9a-f]{64}$/;

describe('diff --json', () => {
  it('given a secret rotation, when diffed as JSON, then secrets are the enum "set" (never a value or hash) and ids and hashes are whole', async () => {
    const r = await run(['diff', '11', '18', '--json', '--log', ROTATION]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { from: number; to: number; changes: { app: string | null; field: string; kind: string; from: unknown; to: unknown }[] };
    expect(out.from).toBe(11);
    expect(out.to).toBe(18);
    expect(out.changes.map((c) => [c.app, c.field, c.kind])).toEqual([
      [null, 'secrets.rpc-password', 'secret'],
      ['vault', 'desired.secretEnv.RPC_PASSWORD', 'secret'],
      ['vault', 'observed.container', 'container'],
      ['vault', 'observed.specHash', 'hash'],
    ]);
    for (const c of out.changes.filter((x) => x.kind === 'secret')) expect([c.from, c.to]).toEqual(['set', 'set']);
    for (const c of out.changes.filter((x) => x.kind === 'hash' || x.kind === 'container')) {
      expect(c.from).toMatch(HASH);
      expect(c.to).toMatch(HASH);
    }
  });

  it('given the same points as text, when diffed, then hashes and ids are shortened and secrets worded, as before', async () => {
    const r = await run(['diff', '11', '18', '--log', ROTATION]);
    expect(r.stdout).toBe([
      'from #11 to #18: 4 change(s)',
      '  (node) secrets.rpc-password: (secret) → (secret changed)',
      '  vault desired.secretEnv.RPC_PASSWORD: (secret) → (secret changed)',
      '  vault observed.container: "5de19963338c" → "35e840997360"',
      '  vault observed.specHash: "7823eee3701a" → "2fe023e84d30"',
      '',
    ].join('\n'));
  });
});

describe('--json ends as the text form does', () => {
  const pairs: [string, string[], number][] = [
    ['why of an app with no audited action', ['why', 'nosuchapp'], 1],
    ['why of an app with one', ['why', 'fedimint'], 0],
    ['why --at a seq past the end', ['why', 'fedimint', '--at', '999'], 1],
    ['status of an unknown app', ['status', 'nosuchapp'], 1],
    ['status', ['status'], 0],
    ['replay --check', ['replay', '--check'], 0],
    ['replay --boot of a boot the log does not hold', ['replay', '--boot', '7'], 1],
    ['diff to a boot the log does not hold', ['diff', '1', 'boot:9'], 1],
    ['events --boot of a boot the log does not hold', ['events', '--boot', '9'], 1],
    ['events --type misspelt', ['events', '--type', 'planDecided'], 2],
  ];
  for (const [name, args, code] of pairs) {
    it(`given ${name}, when run with and without --json, then both exit ${code}`, async () => {
      const text = await run([...args, '--log', REAL_LOG]);
      const json = await run([...args, '--json', '--log', REAL_LOG]);
      expect(text.code, text.stderr).toBe(code);
      expect(json.code, json.stderr).toBe(code);
    });
  }

  it('given why --json of an app with no audited action, then the JSON says so (no entries) and stderr names why it exits 1', async () => {
    const r = await run(['why', 'nosuchapp', '--json', '--log', REAL_LOG]);
    expect(JSON.parse(r.stdout)).toEqual({ app: 'nosuchapp', entries: [] });
    expect(r.errorLines).toEqual(['podledger: why: nosuchapp: no create, recreate, start or remove of this app in the log']);
  });
});

/** Every string leaf of a JSON value, with its path. */
function strings(value: unknown, at = '$'): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

describe('--json carries data, not sentences', () => {
  const CRASH = join(REPO_ROOT, 'events', 'crash-loop.ndjson');
  const HOST_IP = join(REPO_ROOT, 'events', 'host-ip-change.ndjson');

  it.each([['status'], ['replay']])('given a crash loop, when %s --json, then the container state, exit code and pending action are separate fields', async (command) => {
    const r = await run([command, '--json', '--log', CRASH]);
    expect(r.code, r.stderr).toBe(0);
    const app = (JSON.parse(r.stdout) as { apps: Record<string, unknown>[] }).apps.find((a) => a.app === 'crasher')!;
    expect(app.observed).toEqual({ state: 'exited', exitCode: 3 });
    expect(app.desired).toMatchObject({ state: 'resolved', specHash: expect.stringMatching(HASH) });
    const pending = app.pending as { kind: string; reasons: { code: string; causedBy?: number }[] }[];
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0]!.kind).toMatch(/^(start|wait)$/);
    expect(pending[0]!.reasons[0]).toMatchObject({ code: 'container-exited', causedBy: expect.any(Number) });
  });

  it('given the host-IP change, when why fedimint --json, then times are ISO, ids whole, the cause a typed link with its change, and no summary sentence anywhere', async () => {
    const r = await run(['why', 'fedimint', '--json', '--log', HOST_IP]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { entries: { action: { at: string }; reasons: { field: string; cause: { type: string; changes: unknown[] }[] }[]; outcome: { container: string } }[] };
    const entry = out.entries.at(-1)!;
    expect(new Date(entry.action.at).toISOString()).toBe(entry.action.at);
    expect(entry.reasons[0]!.field).toBe('env.FM_P2P_URL');
    expect(entry.reasons[0]!.cause[0]).toMatchObject({ type: 'HostFactsObserved', changes: [{ name: 'HOST_IP', from: '10.0.0.5', to: '10.0.0.9' }] });
    expect(entry.outcome.container).toMatch(HASH);
    expect(r.stdout).not.toContain('"summary"');
    // a rendered event line ("#21 2026-… boot 1 ActionSucceeded …") is what the text form prints, never a field
    expect(strings(out).filter(([, s]) => /#\d+ .* boot \d+ /.test(s))).toEqual([]);
  });
});
