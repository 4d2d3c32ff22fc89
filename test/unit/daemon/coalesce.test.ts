// Wake coalescing: one runner at a time; triggers while it runs cost at most one more run; a waiting
// runner is woken by a trigger or a rouse (which asks for no run); a trigger that comes while a runner
// is finishing starts the next one; close() drops what was not taken and waits for the runner.
import { describe, expect, it } from 'vitest';
import { Coalescer, coalesced, type Triggers } from '../../../src/daemon/coalesce.js';

/** A promise with its resolve, for runs the test finishes when it wants to. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const settle = () => new Promise((r) => setTimeout(r, 0));
const unexpected = (err: unknown) => { throw err; };

describe('coalesced', () => {
  it('given nothing running, when triggered, then the run starts at once and idle resolves after it', async () => {
    const g = gate();
    let runs = 0;
    const c = coalesced(async () => { runs += 1; await g.promise; }, unexpected);
    c.trigger();
    expect(runs).toBe(1);
    let idle = false;
    const waiting = c.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    g.open();
    await waiting;
    expect(runs).toBe(1);
  });

  it('given a run in progress, when triggered three times, then exactly one more run follows it', async () => {
    const gates = [gate(), gate()];
    let runs = 0;
    const c = coalesced(() => gates[runs++]!.promise, unexpected);
    c.trigger();
    c.trigger();
    c.trigger();
    c.trigger();
    expect(runs).toBe(1);
    gates[0]!.open();
    await settle();
    expect(runs).toBe(2);
    gates[1]!.open();
    await c.idle();
    expect(runs).toBe(2);
  });

  it('given a run that fails, when it was triggered again meanwhile, then the error is reported and the next run still comes', async () => {
    const errors: unknown[] = [];
    const g = gate();
    let runs = 0;
    const c = coalesced(async () => {
      runs += 1;
      if (runs === 1) { await g.promise; throw new Error('disk full'); }
    }, (err) => errors.push(err));
    c.trigger();
    c.trigger();
    g.open();
    await c.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['disk full']);
    expect(runs).toBe(2);
    c.trigger();
    await c.idle();
    expect(runs).toBe(3);
  });
});

describe('the Coalescer', () => {
  /** A runner that, like the reconciler's session, keeps going while `busy` and waits in between. */
  function session(busy: () => boolean, served: string[]) {
    let started = 0;
    const runner = async (t: Triggers) => {
      started += 1;
      for (;;) {
        if (t.take()) served.push('run');
        if (!busy()) return;
        if (t.pending()) continue;
        await t.next();
        served.push('woke');
      }
    };
    return { runner, started: () => started };
  }

  it('given a runner waiting, when triggered, then that runner takes the trigger and no second runner starts', async () => {
    const served: string[] = [];
    let busy = true;
    const s = session(() => busy, served);
    const c = new Coalescer(s.runner, unexpected);
    c.trigger();
    await settle();
    c.trigger();
    await settle();
    expect(served).toEqual(['run', 'woke', 'run']);
    expect(s.started()).toBe(1);
    busy = false;
    c.rouse();
    await c.idle();
  });

  it('given a runner waiting, when roused, then it looks again without a run being wanted', async () => {
    const served: string[] = [];
    let busy = true;
    const s = session(() => busy, served);
    const c = new Coalescer(s.runner, unexpected);
    c.trigger();
    await settle();
    c.rouse();
    await settle();
    expect(served).toEqual(['run', 'woke']);
    busy = false;
    c.rouse();
    await c.idle();
    expect(served).toEqual(['run', 'woke', 'woke']);
    expect(s.started()).toBe(1);
  });

  it('given a runner that decided to end, when triggered before it returned, then a new runner starts and takes that trigger', async () => {
    const finishing = gate();
    const takes: boolean[] = [];
    let started = 0;
    const c = new Coalescer(async (t) => {
      started += 1;
      takes.push(t.take());
      if (started === 1) await finishing.promise; // e.g. handing back the podman turn
    }, unexpected);
    c.trigger();
    c.trigger(); // the runner still runs: left for it, but it no longer looks
    finishing.open();
    await c.idle();
    expect(started).toBe(2);
    expect(takes).toEqual([true, true]);
  });

  it('given a runner that throws before its first await, when triggered, then the error is reported and the coalescer goes on', async () => {
    const errors: unknown[] = [];
    let started = 0;
    const c = new Coalescer((t) => {
      started += 1;
      t.take();
      if (started === 1) throw new Error('no turn');
      return Promise.resolve();
    }, (err) => errors.push(err));
    c.trigger();
    await c.idle();
    c.trigger();
    await c.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['no turn']);
    expect(started).toBe(2);
  });

  it('given a runner waiting and a trigger in the same tick, when closed, then the trigger is dropped, later ones are ignored and close waits for the runner', async () => {
    // A bug once: the reconciler's session saw that trigger as pending but would not plan after stop,
    // and spun on it without ever yielding, so the action it waited for never finished.
    const served: string[] = [];
    let busy = true;
    const s = session(() => busy, served);
    const c = new Coalescer(s.runner, unexpected);
    c.trigger();
    await settle();
    c.trigger();
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    c.trigger();
    busy = false;
    c.rouse();
    await closing;
    expect(served).toEqual(['run', 'woke', 'woke']);
    expect(s.started()).toBe(1);
    c.trigger();
    await c.idle();
    expect(s.started()).toBe(1);
  });
});
