// Durations (`30s`, `5m`, `1h30m`, `500ms`) and sizes (`64m`, `1g`, `512k`), as manifests write them.
import * as z from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

/** `30s` → 30000 (ms). A bare number is seconds. */
export function parseDuration(text: string | number): Parsed {
  if (typeof text === 'number') return text >= 0 ? { ok: true, value: text * 1000 } : { ok: false, message: 'must not be negative' };
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/gy)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined !== text.trim()) {
    return { ok: false, message: `'${text}' is not a duration: write e.g. 500ms, 30s, 5m, 1h30m` };
  }
  return { ok: true, value: Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2] as string]!, 0)) };
}

/** `64m` → 67108864 (bytes), binary units; a bare number is bytes. */
export function parseSize(text: string | number): Parsed {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? { ok: true, value: text } : { ok: false, message: 'must be a positive whole number of bytes' };
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?i?b?$/i.exec(text.trim());
  if (!m) return { ok: false, message: `'${text}' is not a size: write e.g. 512k, 64m, 1g` };
  const value = Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
  return value > 0 ? { ok: true, value } : { ok: false, message: 'must be larger than zero' };
}

const unit = (parse: (t: string | number) => Parsed, what: string) =>
  z.union([z.string(), z.number()]).describe(what).transform((text, ctx) => {
    const r = parse(text);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });

/** In the manifest: `30s` or a number of seconds. Parsed to milliseconds. */
export const duration = (what: string) => unit(parseDuration, `${what} (duration: 500ms, 30s, 5m, 1h; a bare number is seconds)`);
/** In the manifest: `64m` or a number of bytes. Parsed to bytes. */
export const size = (what: string) => unit(parseSize, `${what} (size: 512k, 64m, 1g; a bare number is bytes)`);
