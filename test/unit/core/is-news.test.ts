// Only news is recorded: a decision that says what the last recorded plan already implied (its
// waits fell due, its actions started and finished) adds nothing to the log.
import { describe, expect, it } from 'vitest';
import { isNews } from '../../../src/core/decide.js';
import type { Action } from '../../../src/core/events.js';

const exited = [{ code: 'container-exited', field: 'status', from: 'running', to: 'exited (exit 1)', causedBy: 7 }];
const waitA: Action = { kind: 'wait', app: 'a', until: 5_000, attempt: 2, reasons: exited };
const startA: Action = { kind: 'start', app: 'a', attempt: 2, reasons: exited };
const createB: Action = { kind: 'create', app: 'b', specHash: 'h', reasons: [{ code: 'container-missing', causedBy: 3 }] };
const last = (actions: Action[]) => ({ seq: 10, actions });
const none = new Set<string>();

describe('isNews', () => {
  it('given no plan recorded yet, when nothing is to be done, then it is not news; when something is, it is', () => {
    expect(isNews(undefined, [], none, 0)).toBe(false);
    expect(isNews(undefined, [createB], none, 0)).toBe(true);
  });

  it('given the same plan again, when decided, then it is not news', () => {
    expect(isNews(last([waitA, createB]), [waitA, createB], none, 1_000)).toBe(false);
  });

  it('given a recorded crash-loop wait, when it has fallen due and the plan is its restart, then it is not news; before it falls due it is', () => {
    expect(isNews(last([waitA]), [startA], none, 5_000)).toBe(false);
    expect(isNews(last([waitA]), [startA], none, 4_999)).toBe(true);
  });

  it('given a due wait, when the restart differs in attempt or reasons, then it is news', () => {
    expect(isNews(last([waitA]), [{ ...startA, attempt: 3 }], none, 6_000)).toBe(true);
    expect(isNews(last([waitA]), [{ ...startA, reasons: [{ code: 'unhealthy', causedBy: 9 }] }], none, 6_000)).toBe(true);
  });

  it('given a recorded action, when it was started and has left the plan, then it is not news; when it left without being started, it is', () => {
    expect(isNews(last([waitA, createB]), [waitA], new Set(['b']), 1_000)).toBe(false);
    expect(isNews(last([waitA, createB]), [waitA], none, 1_000)).toBe(true);
  });

  it('given a recorded plan, when an app gets a new or changed action, then it is news', () => {
    expect(isNews(last([waitA]), [waitA, createB], none, 1_000)).toBe(true);
    expect(isNews(last([waitA]), [{ ...waitA, until: 9_000 }], none, 1_000)).toBe(true);
  });
});
