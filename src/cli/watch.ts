// `status --watch`: status again each time the log changes, through the daemon's control socket follow
// stream (the one `events --follow` reads), until Ctrl-C, which ends it with exit 0. Appends come in
// bursts (a plan, its actions, their outcomes): renders wait a moment and one follows any number of
// them, and never two at once.
import { followLog } from './follow.js';
import { UsageError } from './errors.js';
import { daemonState } from './source.js';
import type { Common } from './commands.js';

/** How long a render waits for the rest of a burst of appends. */
const SETTLE_MS = 150;
/** Clears a terminal and homes the cursor, so each render replaces the last. */
const CLEAR = '\u001b[H\u001b[2J';

export interface WatchOptions {
  /** one status render: what `status [app]` prints */
  render: () => Promise<void>;
  /** stops the watch (Ctrl-C); the watch then ends as a success */
  signal: AbortSignal;
  /** clear the screen before each render after the first (a terminal, not a pipe or --json) */
  clear: boolean;
}

export async function watchStatus(o: Common, w: WatchOptions): Promise<void> {
  if (o.log) throw new UsageError('status --watch follows a live log: give --data DIR of the node (its daemon is read through its control socket), not --log');
  // where following starts is read before the first render, so nothing appended after it is missed
  const since = (await daemonState(o.data))?.seq ?? 0;
  await w.render();
  const stop = new AbortController(); // the caller's signal, or a failed render
  let rendering: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let failed: unknown;
  const again = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      rendering = rendering.then(async () => {
        if (w.signal.aborted) return;
        if (w.clear) process.stdout.write(CLEAR);
        await w.render();
      }).catch((err: unknown) => {
        failed ??= err; // a failed render ends the watch with its error
        stop.abort();
      });
    }, SETTLE_MS);
  };
  const onAbort = () => stop.abort();
  w.signal.addEventListener('abort', onAbort, { once: true });
  if (w.signal.aborted) stop.abort();
  const following = followLog(o.data, {}, since, {
    event: again,
    corrupt: again,
    waiting: (message) => void process.stderr.write(`${message}\n`),
  }, stop.signal, 'status --watch');
  try {
    await following;
  } finally {
    clearTimeout(timer);
    w.signal.removeEventListener('abort', onAbort);
  }
  await rendering;
  if (failed !== undefined) throw failed;
}

/** `status --watch` as the command line runs it: Ctrl-C (SIGINT) or SIGTERM stops it, exit 0. */
export async function watchFromCommandLine(o: Common, render: () => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    await watchStatus(o, { render, signal: stop.signal, clear: Boolean(process.stdout.isTTY) && !o.json });
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}
