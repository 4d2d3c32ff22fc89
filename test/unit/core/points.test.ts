// The one parser of points (src/core/points.ts): every form it accepts, and every refusal, in the
// words every command uses. Bare digits are a seq (never a day of 2001), and a date that does not
// exist is refused rather than moved (Date.parse reads 2026-02-30 as March 2).
import { describe, expect, it } from 'vitest';
import { parsePoint, pointForms, readPoint, type PointForm } from '../../../src/core/points.js';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const ALL: PointForm[] = ['seq', 'boot', 'time'];
const ALL_FORMS = 'must be an event seq (1234), boot:N (the end of boot N) or a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)';

describe('readPoint: the forms it accepts', () => {
  const accepted: [string, unknown][] = [
    ['0', { seq: 0 }],
    ['12', { seq: 12 }],
    ['9007199254740991', { seq: Number.MAX_SAFE_INTEGER }],
    ['boot:0', { boot: 0 }],
    ['boot:7', { boot: 7 }],
    ['2026-11-27T12:00:00Z', { at: Date.parse('2026-11-27T12:00:00Z') }],
    ['2026-11-27T12:00:00.157Z', { at: Date.parse('2026-11-27T12:00:00.157Z') }],
    ['2026-11-27T12:00Z', { at: Date.parse('2026-11-27T12:00:00Z') }],
    ['2026-11-27T13:00:00+01:00', { at: Date.parse('2026-11-27T12:00:00Z') }],
    ['2026-11-27', { at: Date.parse('2026-11-27T00:00:00Z') }],
    ['2026-11-27 12:00', { at: Date.parse('2026-11-27T12:00') }],
    ['2024-02-29', { at: Date.parse('2024-02-29T00:00:00Z') }],
    ['30s', { at: NOW - 30_000 }],
    ['10m', { at: NOW - 600_000 }],
    ['2h', { at: NOW - 7_200_000 }],
    ['3d', { at: NOW - 3 * 86_400_000 }],
    ['0s', { at: NOW }],
  ];
  for (const [text, point] of accepted) {
    it(`given '${text}', when read as any point, then it is ${JSON.stringify(point)}`, () => {
      expect(readPoint(text, NOW, ALL)).toEqual({ ok: true, point });
      expect(parsePoint(text, NOW)).toEqual(point);
    });
  }
});

describe('readPoint: what it refuses, naming the accepted forms', () => {
  const refused = ['', ' 5', '12.5', '-5', '1e3', '0x10', 'Infinity', 'NaN', 'yesterday', 'noon', 'Nov 27 2026', '27/11/2026',
    '2026-13-45', '2026-02-30', '2025-02-29', '2026-11-27T24:00', '2026-11-27T12:60', '2026-11-27T12:00:61Z', '2026-11-27T', '2026-11-27Tgarbage',
    'boot:', 'boot:-1', 'boot:1.5', 'BOOT:1', 'boot:99999999999999999999', '10M', '10 m', '1w', '-10m', '1.5h', '99999999999999d', '99999999999999999999s'];
  for (const text of refused) {
    it(`given '${text}', when read as any point, then it is refused naming every form`, () => {
      expect(readPoint(text, NOW, ALL)).toEqual({ ok: false, why: ALL_FORMS });
      expect(parsePoint(text, NOW)).toBeUndefined();
    });
  }

  it('given digits past what a double holds exactly, when read, then the refusal names the seq range', () => {
    expect(readPoint('99999999999999999999', NOW, ALL)).toEqual({ ok: false, why: 'must be a whole number from 0 to 9007199254740991 (an event seq)' });
  });

  it('given a form the place does not take, when read, then it is refused naming only the forms it takes', () => {
    expect(readPoint('boot:1', NOW, ['seq', 'time'])).toEqual({ ok: false, why: 'must be an event seq (1234) or a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)' });
    expect(readPoint('12', NOW, ['time'])).toEqual({ ok: false, why: 'must be a time (2026-11-27T12:00:00Z, or ago: 30s, 10m, 2h, 3d)' });
    expect(readPoint('3d', NOW, ['seq', 'boot'])).toEqual({ ok: false, why: 'must be an event seq (1234) or boot:N (the end of boot N)' });
  });
});

describe('pointForms', () => {
  it('given one, two or three forms, when worded, then they read as a list', () => {
    expect(pointForms(['seq'])).toBe('an event seq (1234)');
    expect(pointForms(['seq', 'boot'])).toBe('an event seq (1234) or boot:N (the end of boot N)');
    expect(pointForms(ALL)).toBe(ALL_FORMS.slice('must be '.length));
  });
});
