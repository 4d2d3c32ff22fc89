// The projection as a stream: appended events are folded with `evolve` into the current state.
import { BehaviorSubject, concatMap, from, scan, type Observable, type Subscription } from 'rxjs';
import { evolve } from '../core/evolve.js';
import type { Envelope } from '../core/events.js';
import type { State } from '../core/state.js';

export class Projection {
  readonly state$: BehaviorSubject<State>;
  readonly #subscription: Subscription;

  constructor(initial: State, appended$: Observable<readonly Envelope[]>) {
    this.state$ = new BehaviorSubject(initial);
    this.#subscription = appended$
      .pipe(
        concatMap((batch) => from(batch)),
        scan((state, event) => (event.seq > state.seq ? evolve(state, event) : state), initial),
      )
      .subscribe((state) => this.state$.next(state));
  }

  get state(): State {
    return this.state$.value;
  }

  close(): void {
    this.#subscription.unsubscribe();
    this.state$.complete();
  }
}
