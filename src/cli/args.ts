// The numeric and time arguments of the command line, each with its range: a value out of it is a
// usage error (exit 2) naming the range, never a silent Infinity, a rounded 1e20, a hex or empty
// number read as 0, or a bare number read as a year. Written in digits only: no 1e3, 0x10, 1_000.
import { InvalidArgumentError } from 'commander';

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

/** A time: ISO 8601 starting with its date, so a bare number (a seq) or a word is never taken for one. */
export function parseTime(value: string): number | undefined {
  if (!/^\d{4}-\d\d-\d\d/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

/** A bound of a range of the log: a seq, or a time (ms). */
export type Bound = { seq: number } | { at: number };

/** A point of the log: a seq (1234) or a time (ISO 8601). */
export const boundArg = (value: string): Bound => {
  if (/^\d+$/.test(value)) return { seq: seqArg(value) };
  const at = parseTime(value);
  if (at === undefined) throw new InvalidArgumentError('must be an event seq (1234) or a time (2026-11-27T12:00:00Z)');
  return { at };
};

/** A time only (`compact --before`): checked here, passed on as written. */
export const timeArg = (value: string): string => {
  if (parseTime(value) === undefined) throw new InvalidArgumentError('must be a time: write e.g. 2026-11-27T12:00:00Z');
  return value;
};
