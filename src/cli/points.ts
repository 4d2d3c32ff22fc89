// Points of a log named on the command line (`replay --until/--boot/--at`, `diff A B`, `export --boot`)
// must exist in it: a point past the end, or a boot the log does not hold, is an error naming what the
// log does hold, never quietly moved to the nearest point (which answers a question nobody asked).
import type { Envelope } from '../core/events.js';
import { seqAt, type Point } from '../core/replay.js';
import type { State } from '../core/state.js';
import { InvalidInputError } from './errors.js';

/** The boots a log holds, as ranges: "1", "1–3, 7". */
export function bootsOf(events: readonly Envelope[]): string {
  return ranges(events.map((e) => e.boot));
}

/** Whole numbers as ranges, in order, each once: "1–3, 7". */
export function ranges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Why boot `boot` is not a point of this log. */
export function noSuchBoot(events: readonly Envelope[], boot: number): string {
  return events.length === 0 ? `the log holds no events, so no boot ${boot}` : `the log holds no boot ${boot}; its boots are ${bootsOf(events)}`;
}

/**
 * The seq `point` names in this log (see seqAt), or InvalidInputError when it names nothing there:
 * a seq past the log's last, or a boot the log does not hold. `what` is how the user wrote it.
 * A time is any moment: before the first event (nothing yet) or after the last (nothing since).
 */
export function seqOfPoint(events: readonly Envelope[], base: State, point: Point, what: string): number {
  const last = events.at(-1)?.seq ?? base.seq;
  if ('seq' in point && point.seq > last) {
    throw new InvalidInputError(`${what}: the log ends at #${last}${last > 0 ? `; give a seq from 0 to ${last}` : ''}`);
  }
  if ('boot' in point && !events.some((e) => e.boot === point.boot)) throw new InvalidInputError(`${what}: ${noSuchBoot(events, point.boot)}`);
  return seqAt(events, point);
}
