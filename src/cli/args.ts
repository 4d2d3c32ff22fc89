// The numeric and time arguments of the command line, each with its range: a value out of it is a
// usage error (exit 2) naming the range, never a silent Infinity, a rounded 1e20, a hex or empty
// number read as 0, or a bare number read as a year. Written in digits only: no 1e3, 0x10, 1_000.
import { InvalidArgumentError } from 'commander';
import { EVENT_TYPE_NAMES } from '../core/event-types.js';
import type { EventType } from '../core/events.js';
import { readPoint, type Point, type PointForm } from '../core/points.js';
import { didYouMean } from '../core/suggest.js';

/** setTimeout waits at most 2^31-1 ms; longer overflows to 1 ms (a timer that fires at once, for ever). */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A whole number written in digits, from `min` to `max`; `what` says what it counts. */
export function wholeArg(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max} (${what})`);
    return n;
  };
}

/** A number of seconds written in digits (a fraction allowed), from `min` to `max`. */
export function secondsArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`must be a number of seconds from ${min} to ${max} (about ${Math.floor(max / 86400)} days; longer does not fit a timer)`);
    return n;
  };
}

export const seqArg = wholeArg(0, Number.MAX_SAFE_INTEGER, 'an event seq');
export const bootArg = wholeArg(0, Number.MAX_SAFE_INTEGER, 'a daemon run, as numbered in the log');

/**
 * A point of the log in one of `forms`, read by the one parser of points (core/points.ts); a time
 * ago counts back from the moment the command line is read.
 */
export function pointArg(forms: readonly PointForm[]): (value: string) => Point {
  return (value) => {
    const r = readPoint(value, Date.now(), forms);
    if (!r.ok) throw new InvalidArgumentError(r.why);
    return r.point;
  };
}

/** A bound of a range of the log (`--since`, `--until`, `--at`): a point that is a seq or a time, not a boot. */
export type Bound = Exclude<Point, { boot: number }>;

/** A seq (1234) or a time (ISO 8601, or a time ago: 10m). */
export const boundArg = pointArg(['seq', 'time']) as (value: string) => Bound;

/** Any point: a seq, boot:N or a time (`diff A B`). */
export const anyPointArg = pointArg(['seq', 'boot', 'time']);

/** A time only (`compact --before`), in ms. */
export const timeArg = (value: string): number => (pointArg(['time'])(value) as { at: number }).at;

/** The catalogue's types, sorted; by name only, so parsing options loads no schema (core/event-types.ts). */
export const EVENT_TYPES: EventType[] = [...EVENT_TYPE_NAMES].sort();

/**
 * `--type T...`: each an event type of the catalogue (core/events.ts), spelled as it is. A filter
 * on a misspelt type would match nothing and print nothing, which reads as "no such events".
 */
export function eventTypeArg(value: string, previous: EventType[] | undefined): EventType[] {
  if (!(EVENT_TYPES as string[]).includes(value)) {
    const guess = didYouMean(value, EVENT_TYPES);
    throw new InvalidArgumentError(`not an event type; ${guess ? `did you mean ${guess}?` : `the types are ${EVENT_TYPES.join(', ')}`}`);
  }
  return [...(previous ?? []), value as EventType];
}
