// One task at a time, in order: each starts once the one before it has settled, and a failing task
// does not stop the next (its caller gets the failure). The log's writer runs every write through
// one; the daemon gives podman's readers and its reconciler one, so they take turns.

/** Runs the tasks it is given one after another, in the order given. */
export type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

export function exclusive(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}
