// typeOfText lets a read pass over a record without parsing it, by the type its text shows. The text is
// untrusted: whatever it holds (duplicate keys, escaped keys, "type" nested or quoted, whitespace), a
// type it names must be the one JSON.parse finds, or it must name none.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { typeOfText } from '../../../src/log/reader.js';

const TYPES = ['ActionStarted', 'HealthChanged', 'ContainerExited'];

/** the store's own forms: seq first (as the writer stores), type first (as an import of spread objects stored) */
const record = fc.record({
  seq: fc.nat(),
  id: fc.string(),
  type: fc.constantFrom(...TYPES),
  data: fc.dictionary(fc.constantFrom('type', 'name', 'detail', 'tÿpe'), fc.oneof(fc.string(), fc.constantFrom(...TYPES), fc.nat())),
});

/** ways a hostile text hides another type from a reader that looks for the first "type" */
const twist = fc.constantFrom(
  (t: string) => t,
  (t: string) => t.replace(/}$/, ',"type":"ContainerStarted"}'), // a later duplicate wins in JSON.parse
  (t: string) => t.replace(/}$/, ',"t\\u0079pe":"ContainerStarted"}'), // the duplicate's key escaped
  (t: string) => t.replace(/}$/, ',"type" : "ContainerStarted"}'), // with spaces
  (t: string) => t.replace(/^\{/, '{"type":"ContainerStarted",'), // an earlier duplicate loses
  (t: string) => t.replace('"type":', '"typ\\u0065":'), // the envelope's key escaped
  (t: string) => t.replace('"type":', '"data":{"type":"ContainerStarted"},"x":'), // nested first
  (t: string) => t.slice(0, -3), // cut short
);

function parsedType(text: string): unknown {
  try {
    const raw: unknown = JSON.parse(text);
    return typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'type') ? (raw as { type: unknown }).type : undefined;
  } catch {
    return undefined;
  }
}

describe('typeOfText', () => {
  it('given any text of a record, twisted or not, when it names a type, then JSON.parse of a text that parses finds that type', () => {
    fc.assert(fc.property(record, fc.boolean(), twist, (r, typeFirst, bend) => {
      const { type, ...rest } = r;
      const text = bend(JSON.stringify(typeFirst ? { type, ...rest } : { seq: r.seq, id: r.id, type, data: r.data }));
      const named = typeOfText(text);
      const parsed = parsedType(text);
      if (named !== undefined && parsed !== undefined) expect(parsed).toBe(named);
    }), { numRuns: 2000 });
  });

  it('given records as the store writes them, with no escapes and no other "type", then their type is named', () => {
    expect(typeOfText('{"seq":7,"id":"e7","type":"HealthChanged","v":1,"data":{"status":"healthy"}}')).toBe('HealthChanged');
    expect(typeOfText('{"type":"HealthChanged","app":"web","data":{},"seq":7}')).toBe('HealthChanged');
  });

  it('given a text with a backslash, a second "type" or a type not written as a string, then no type is named (the record is decoded)', () => {
    for (const text of [
      '{"seq":7,"id":"e\\u0037","type":"HealthChanged"}',
      '{"seq":7,"type":"HealthChanged","data":{"type":"x"}}',
      '{"seq":7,"type":["HealthChanged"]}',
      '{"seq":7,"type" :"HealthChanged"}',
      '{"seq":7,"type":"HealthChanged',
    ]) expect(typeOfText(text), text).toBeUndefined();
  });

  it('given texts made of the pieces a second "type" hides in (overlapping, sharing a quote), then the answer is the plain search\'s: a second "type" anywhere after the first names none', () => {
    // the plain version it replaced, kept as the oracle: it looked for the whole key again at once
    const plain = (text: string): string | undefined => {
      const at = text.indexOf('"type"');
      if (at < 0 || !text.startsWith(':"', at + 6) || text.includes('"type"', at + 1) || text.includes('\\')) return undefined;
      const to = text.indexOf('"', at + 8);
      return to < 0 ? undefined : text.slice(at + 8, to);
    };
    const piece = fc.constantFrom('"type"', '"type":"', 'ype"', 'type', '"', 'y', ':', '"t', 'A', '{', '}', ',', 'sub');
    fc.assert(fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
      const text = pieces.join('');
      expect(typeOfText(text)).toBe(plain(text));
    }), { numRuns: 5000 });
    for (const text of ['{"type":"type"type"}', '{"type":"A","x":"subtype","y":"ype"}', '{"type":"A","data":{"type":"B"}}', '{"type":"A"}']) expect(typeOfText(text), text).toBe(plain(text));
  });
});
