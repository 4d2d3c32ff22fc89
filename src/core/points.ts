// The one reading of a point of the log as the command line writes it: a seq (1234), the end of a
// boot (boot:2), or a time: ISO 8601 (2026-11-27T12:00:00Z) or a time ago (30s, 10m, 2h, 3d). Every
// command that takes a point or a time reads it here, so each refuses the same inputs in the same
// words. Pure: a time ago is counted back from the `now` the caller gives.

/** A point in a log: a seq, the end of a boot, or a time (the last event at or before it). */
export type Point = { seq: number } | { boot: number } | { at: number };

/** Which forms a place on the command line accepts. */
export type PointForm = 'seq' | 'boot' | 'time';

export type PointReading = { ok: true; point: Point } | { ok: false; why: string };

/** The Date range: ±100,000,000 days around 1970. */
const MAX_TIME = 8.64e15;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const FORM_TEXT: Record<PointForm, string> = {
  seq: 'an event seq (1234)',
  boot: 'boot:N (the end of boot N)',
  time: 'a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)',
};

/** The accepted forms in words, for a refusal: "an event seq (1234), boot:N (...) or a time (...)". */
export function pointForms(forms: readonly PointForm[]): string {
  const texts = forms.map((f) => FORM_TEXT[f]);
  return texts.length <= 1 ? texts.join('') : `${texts.slice(0, -1).join(', ')} or ${texts.at(-1)!}`;
}

/** A whole number written in digits that a double holds exactly, else undefined. */
const whole = (digits: string): number | undefined => (Number.isSafeInteger(Number(digits)) ? Number(digits) : undefined);

/**
 * `text` as one of `forms`, or why not. Bare digits are always a seq, never a year or a day (Date.parse
 * reads '12' as a day of 2001); a time must start with its full date, and a date that does not exist
 * (2026-02-30, which Date.parse moves to March) is refused.
 */
export function readPoint(text: string, now: number, forms: readonly PointForm[]): PointReading {
  const refuse = (): PointReading => ({ ok: false, why: `must be ${pointForms(forms)}` });
  if (/^\d+$/.test(text)) {
    if (!forms.includes('seq')) return refuse();
    const seq = whole(text);
    return seq === undefined ? { ok: false, why: `must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (an event seq)` } : { ok: true, point: { seq } };
  }
  const boot = /^boot:(\d+)$/.exec(text);
  if (boot) {
    const n = whole(boot[1]!);
    return forms.includes('boot') && n !== undefined ? { ok: true, point: { boot: n } } : refuse();
  }
  if (!forms.includes('time')) return refuse();
  const at = readAgo(text, now) ?? readIsoTime(text);
  return at !== undefined && Math.abs(at) <= MAX_TIME ? { ok: true, point: { at } } : refuse();
}

/** `text` as any point, or undefined. */
export function parsePoint(text: string, now: number): Point | undefined {
  const r = readPoint(text, now, ['seq', 'boot', 'time']);
  return r.ok ? r.point : undefined;
}

/** 30s, 10m, 2h, 3d: that long before `now`, in ms. */
function readAgo(text: string, now: number): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) return undefined;
  const n = whole(m[1]!);
  return n === undefined ? undefined : now - n * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const ISO = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/;

/** ISO 8601: a date, or a date and time (local unless it names its zone), each part in its range. */
function readIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((p) => (p === undefined ? undefined : Number(p))) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const at = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(at) ? at : undefined;
}
