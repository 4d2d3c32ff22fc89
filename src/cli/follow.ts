// `events --follow`: the log as the daemon appends it, through its control socket. An offline command
// never holds the db while following (the daemon could not start), so while no daemon runs it waits
// for one, and across daemon restarts it resumes after the last event it saw: nothing twice, none missed.
import type { Envelope } from '../core/events.js';
import { controlItems, controlSocketPath } from '../daemon/control.js';
import type { ReadOptions } from '../log/store.js';
import { queryOf } from './source.js';

export interface FollowHandlers {
  event(e: Envelope): void;
  corrupt(seq: number, reason: string): void;
  /** no daemon answers (said once per wait), or one answers again */
  waiting(message: string): void;
}

const RETRY_MS = 500;

/** Events after `since` that match `read`, as they are appended, until `signal` aborts; `command` names the follower in messages. */
export async function followLog(data: string, read: ReadOptions, since: number, on: FollowHandlers, signal: AbortSignal, command = 'events --follow'): Promise<void> {
  const socket = controlSocketPath(data);
  let last = since;
  let waiting = false;
  while (!signal.aborted) {
    try {
      for await (const item of controlItems(socket, `/events?${queryOf({ ...read, since: last, follow: true })}`, { signal })) {
        if (waiting) on.waiting(`podledger: ${command}: the daemon at ${socket} answers; following from #${last + 1}`);
        waiting = false;
        if (!item.ok) {
          on.corrupt(item.seq, item.reason);
          last = Math.max(last, item.seq);
          continue;
        }
        last = item.event.seq;
        on.event(item.event);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!isAbsent(err)) throw err;
    }
    // The daemon stopped (the stream ended) or is not running: wait for the next one.
    if (!waiting) on.waiting(`podledger: ${command}: no daemon answers at ${socket}; waiting for one (Ctrl-C to stop)`);
    waiting = true;
    await sleep(RETRY_MS, signal);
  }
}

/** Nobody listens on the socket (yet): not an error while following. */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
