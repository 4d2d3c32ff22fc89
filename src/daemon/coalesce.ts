// One run at a time; a trigger during a run asks for exactly one more run after it.
// Used by the reconciler and by each observer, so no two reads of one source race each other.

export interface Coalesced {
  trigger(): void;
  /** resolves when no run is in progress or requested */
  idle(): Promise<void>;
}

export function coalesced(run: () => Promise<unknown>, onError: (err: unknown) => void): Coalesced {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await run();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = undefined;
  };
  return {
    trigger() {
      if (running) again = true;
      else running = loop();
    },
    async idle() {
      while (running) await running;
    },
  };
}
