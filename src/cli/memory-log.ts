// A log that lives only in memory: for dry runs, which fold fresh observations without writing them.
import { evolve } from '../core/evolve.js';
import { CURRENT_VERSION, type Draft, type Envelope } from '../core/events.js';
import type { State } from '../core/state.js';

export class MemoryLog {
  #state: State;
  readonly #clock: () => number;

  constructor(from: State, clock: () => number) {
    this.#state = from;
    this.#clock = clock;
  }

  get state(): State {
    return this.#state;
  }

  append(drafts: Draft[]): Envelope[] {
    const first = this.#state.seq + 1;
    return drafts.map(({ causedByDraft, ...d }, i) => {
      const seq = this.#state.seq + 1;
      const cause = causedByDraft !== undefined ? { causedBy: first + causedByDraft } : {};
      const e = { ...d, ...cause, seq, id: `dry-run-${seq}`, v: CURRENT_VERSION[d.type], at: this.#clock(), boot: this.#state.boot, bootSeq: i + 1 } as Envelope;
      this.#state = evolve(this.#state, e);
      return e;
    });
  }
}
