// The numeric and time arguments of the command line, each with its range: a value out of it is a
// usage error (exit 2) naming the range, never a silent Infinity, a rounded 1e20, a hex or empty
// number read as 0, or a bare number read as a year. Written in digits only: no 1e3, 0x10, 1_000.
import { InvalidArgumentError } from 'commander';
import { parsePoint, type Point } from '../core/replay.js';

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

/** A bound of a range of the log (`--since`, `--until`, `--at`): a point (core/replay.ts) that is a seq or a time, not a boot. */
export type Bound = Exclude<Point, { boot: number }>;

/** A point of the log: a seq (1234) or a time (ISO 8601), read by the one parser of points. */
export const boundArg = (value: string): Bound => {
  const point = parsePoint(value);
  if (point !== undefined && !('boot' in point)) return point;
  if (/^\d+$/.test(value)) return { seq: seqArg(value) }; // digits past what a seq holds: seqArg names the range
  throw new InvalidArgumentError('must be an event seq (1234) or a time (2026-11-27T12:00:00Z)');
};

/** A time only (`compact --before`), in ms. */
export const timeArg = (value: string): number => {
  const point = parsePoint(value);
  if (point === undefined || !('at' in point)) throw new InvalidArgumentError('must be a time: write e.g. 2026-11-27T12:00:00Z');
  return point.at;
};
