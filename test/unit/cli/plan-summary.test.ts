// `plan`'s last line and --detailed-exitcode (Terraform's): the summary counts every kind, the line
// names those that change something, and under the flag any error is 1 (2 means changes pending).
import { describe, expect, it } from 'vitest';
import { renderPlanSummary, summarizePlan } from '../../../src/core/action-kinds.js';
import type { ActionKind } from '../../../src/core/events.js';
import { run } from './run.js';

const kinds = (...k: ActionKind[]) => k.map((kind) => ({ kind }));

describe('summarizePlan and renderPlanSummary', () => {
  it('given a plan of creates, a recreate and a wait, when summarized, then each kind is counted and only executable ones are changes', () => {
    const s = summarizePlan(kinds('create', 'create', 'recreate', 'wait'));
    expect(s).toEqual({ create: 2, recreate: 1, rollback: 0, adopt: 0, start: 0, restart: 0, remove: 0, wait: 1, blocked: 0, changes: 3 });
    expect(renderPlanSummary(s)).toBe('plan: 2 to create, 1 to recreate, 0 to roll back, 0 to adopt, 0 to start, 0 to restart, 0 to remove; 1 waiting');
  });

  it('given an empty plan, when summarized, then every count is 0 and no waiting or blocked part is said', () => {
    const s = summarizePlan([]);
    expect(s.changes).toBe(0);
    expect(renderPlanSummary(s)).toBe('plan: 0 to create, 0 to recreate, 0 to roll back, 0 to adopt, 0 to start, 0 to restart, 0 to remove');
  });

  it('given only blocked and waiting apps, when summarized, then no change is pending', () => {
    const s = summarizePlan(kinds('blocked', 'blocked', 'wait'));
    expect(s.changes).toBe(0);
    expect(renderPlanSummary(s)).toMatch(/; 1 waiting, 2 blocked$/);
  });
});

describe('plan --detailed-exitcode on errors', () => {
  it('given an unknown option with the flag, when run, then exit 1 (not the usage 2, which would read as changes pending)', async () => {
    expect((await run(['plan', '--detailed-exitcode', '--bogus'])).code).toBe(1);
    expect((await run(['plan', '--bogus'])).code).toBe(2);
  });

  it('given podman unreachable with the flag, when run, then exit 1 (not the runtime 3)', async () => {
    const args = ['plan', '--apps', '/nonexistent/apps', '--data', '/nonexistent/data', '--podman-socket', '/nonexistent/podman.sock', '--policy', '/dev/null'];
    expect((await run(args)).code).toBe(3);
    const r = await run([...args, '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.errorLines).toEqual([expect.stringMatching(/^podledger: cannot reach podman at \/nonexistent\/podman.sock/)]);
  });
});
