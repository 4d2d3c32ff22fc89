// Wake coalescing, written once: one runner at a time, and triggers are not queued but set one flag
// that the runner takes when it is ready for more, so any number of them while it works cost at most
// one more run. The observers use it through coalesced() (one read per run), so no two reads of one
// source race each other; the reconciler's session is a runner of its own, which takes triggers
// while its actions are in flight and waits for the next one in between.

/** What a runner sees of the triggers meant for it. */
export interface Triggers {
  /** true if triggered since the last take, and clears that: one run now answers all of them */
  take(): boolean;
  /** triggered since the last take; the trigger stays there to be taken */
  pending(): boolean;
  /**
   * Resolves at the next trigger or rouse. Only the runner waits (one waiter at a time); it checks
   * take() and pending() first, since a trigger that came before the wait does not resolve it.
   */
  next(): Promise<void>;
}

export interface Coalesced {
  trigger(): void;
  /** resolves when no run is in progress or requested */
  idle(): Promise<void>;
}

/**
 * Starts `runner` on a trigger when none runs; a trigger while one runs is left for it to take. A
 * runner that returns with a trigger it did not take (it came after its last look, while it was
 * finishing) is followed by a new one, so no trigger is lost.
 */
export class Coalescer implements Coalesced {
  readonly #runner: (triggers: Triggers) => Promise<unknown>;
  readonly #onError: (err: unknown) => void;
  #triggered = false;
  #closed = false;
  #running: Promise<void> | undefined;
  #waiter: (() => void) | undefined;
  readonly #triggers: Triggers = {
    take: () => {
      const triggered = this.#triggered;
      this.#triggered = false;
      return triggered;
    },
    pending: () => this.#triggered,
    next: () => new Promise<void>((resolve) => (this.#waiter = resolve)),
  };

  constructor(runner: (triggers: Triggers) => Promise<unknown>, onError: (err: unknown) => void) {
    this.#runner = runner;
    this.#onError = onError;
  }

  /** asks for a run: taken by the runner in progress, else a new runner starts at once */
  trigger(): void {
    if (this.#closed) return;
    this.#triggered = true;
    this.rouse();
    if (!this.#running) this.#start();
  }

  /**
   * Wakes a waiting runner without asking for a run, so it looks again at what it waits on (the
   * reconciler's session: whether any action is still in flight).
   */
  rouse(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /**
   * Triggers from now on are ignored and one not taken yet is dropped, so the runner only finishes
   * what it has in hand; resolves when it returned.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#triggered = false;
    this.rouse();
    await this.idle();
  }

  #start(): void {
    // async, so a runner that throws before its first await is reported like any other failure
    const run = async () => { await this.#runner(this.#triggers); };
    this.#running = run().catch(this.#onError).finally(() => {
      this.#running = undefined;
      if (this.#triggered && !this.#closed) this.#start();
    });
  }
}

/** One run at a time; a trigger during a run asks for exactly one more run after it. */
export function coalesced(run: () => Promise<unknown>, onError: (err: unknown) => void): Coalesced {
  // A failed run ends its runner (onError is told); a trigger that came during it starts the next.
  return new Coalescer(async (triggers) => {
    while (triggers.take()) await run();
  }, onError);
}
