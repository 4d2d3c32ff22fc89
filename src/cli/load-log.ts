// How commands load a whole log: apart from commands.ts, so that replay and status load the log
// readers without every other command's modules (docs/benchmarks.md, start-up).
import type { Envelope } from '../core/events.js';
import { initialState, type State } from '../core/state.js';
import { collect } from '../log/fold.js';
import { InvalidInputError } from './errors.js';
import { openLog } from './source.js';
import { Undecodable } from './undecodable.js';

/** Where a command reads its log: a data dir, or a captured log file (`--log`). */
type LogSource = { data: string; log?: string };

/** What a command's undecodable lines are counted by: the file or data dir it reads. */
export const undecodable = (o: LogSource): Undecodable => new Undecodable(o.log ?? o.data);

/**
 * The log's events and, for a compacted log, the state at its cut (folds start there). Undecodable
 * lines are counted in `bad`; without it, they are told in one warning once the log is read.
 */
export async function loadLog(o: LogSource, bad?: Undecodable): Promise<{ events: Envelope[]; base: State }> {
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    const counted = bad ?? undecodable(o);
    const events = await collect(source.batches, counted.note);
    if (!bad) counted.report();
    return { events, base: source.base?.state ?? initialState };
  } finally {
    await source.close();
  }
}

/** A point before a compaction's cut has no state any more: say so rather than fold a wrong one. */
export function assertAfterCut(seq: number, base: State, what: string): void {
  if (seq < base.seq) throw new InvalidInputError(`${what}: the log was compacted through #${base.seq}; the state at #${seq} is no longer available`);
}
