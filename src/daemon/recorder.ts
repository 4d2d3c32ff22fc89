// Observations are decided against what is believed, then appended. Two observers can see one fact
// (a death from its exit file, from podman's event stream and from an inventory reading): decided
// against the same state, before either append is folded, both would be recorded. So every
// observer's decision takes its turn here, after the appends before it are folded into the state.
import type { Draft } from '../core/events.js';
import type { State } from '../core/state.js';

/** Decides against the state as it is when its turn comes, and appends what it decided. */
export type Record = (decide: (now: State) => Draft[]) => Promise<unknown>;

export function serialRecorder(state: () => State, append: (drafts: Draft[]) => Promise<unknown> | unknown): Record {
  let last: Promise<unknown> = Promise.resolve();
  return (decide) => {
    const next = last.then(() => append(decide(state())));
    last = next.catch(() => undefined); // a failed append is its caller's to report; the next still runs
    return next;
  };
}
