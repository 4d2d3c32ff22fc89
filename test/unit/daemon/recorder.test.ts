// Observers decide against what is believed, in turn: one death seen by two observers at once (its exit
// file or the event stream, and an inventory reading) is recorded once, and a failed append does not
// stop the turns after it.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import type { State } from '../../../src/core/state.js';
import { serialRecorder } from '../../../src/daemon/recorder.js';

/** A log whose appends are folded into the state only when they complete, a tick later, as the store's are. */
function slowLog() {
  const appended: Draft[] = [];
  let state = { seq: 0 } as unknown as State;
  const append = async (drafts: Draft[]) => {
    await new Promise((r) => setTimeout(r, 5));
    if (drafts.some((d) => d.type === 'ContainerExited' && d.data.exitCode === -999)) throw new Error('disk full');
    appended.push(...drafts);
    state = { ...state, seq: state.seq + drafts.length } as State;
  };
  return { appended, state: () => state, append };
}

const death = (exitCode = 137): Draft => ({ type: 'ContainerExited', source: 'podman', app: 'a', data: { id: 'c1', name: 'a', exitCode } });
/** a death is news only to a state that has not recorded one */
const deathIfNew = (now: State) => (now.seq === 0 ? [death()] : []);

describe('the observers\' recorder', () => {
  it('given two observers that see one death at once, when both record it, then it is appended once', async () => {
    // given
    const log = slowLog();
    const record = serialRecorder(log.state, log.append);
    // when
    await Promise.all([record(deathIfNew), record(deathIfNew)]);
    // then
    expect(log.appended).toEqual([death()]);
  });

  it('given an append that fails, when the next observer records, then it still gets its turn and the failure reaches its caller', async () => {
    // given
    const log = slowLog();
    const record = serialRecorder(log.state, log.append);
    // when
    const failed = record(() => [death(-999)]);
    const next = record(deathIfNew);
    // then
    await expect(failed).rejects.toThrow('disk full');
    await next;
    expect(log.appended).toEqual([death()]);
  });
});
