// The scalar and one-line flow parts of the YAML subset reader (yaml-subset.ts). Each function
// returns undefined for anything it is not certain to read as yaml 2.x (core schema, default
// options) does: the caller then gives the whole text to yaml.

/** A value read from `line` at some position, and where it ended. */
export type Read = { value: unknown; end: number };

/** Object with the key set as yaml's toJS sets it (addPairToJSMap): an inherited name becomes own. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key in obj) Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

// The core schema's tests, in the schema's order (yaml/dist/schema/core/*.js): the first that matches wins.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** A plain scalar starting with none of these is a string unless one of the tests above matches. */
const MAYBE_NOT_STRING = /^[-+.~0-9nNtTfF]|^$/;

/** The value of a plain scalar, as the core schema resolves it. */
export function resolvePlain(s: string): unknown {
  if (!MAYBE_NOT_STRING.test(s)) return s;
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

/** A plain key: only one that resolves to a string (yaml compares other keys by value, not by text). */
export function plainKey(s: string): string | undefined {
  if (s.length === 0 || s.length > 1000 || s === '<<') return undefined;
  return typeof resolvePlain(s) === 'string' ? s : undefined;
}

// yaml's escapeCodes (compose/resolve-flow-scalar.js), less the escaped tab (tabs are not read here).
const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
};
const HEX = /^[0-9a-fA-F]+$/;

/** A quoted scalar closed on the same line, starting at `line[pos]` (a quote). */
export function readQuoted(line: string, pos: number): { value: string; end: number } | undefined {
  const quote = line[pos];
  let out = '';
  if (quote === "'") {
    for (let i = pos + 1; i < line.length; i++) {
      const ch = line[i];
      if (ch !== "'") out += ch;
      else if (line[i + 1] === "'") { out += "'"; i++; }
      else return { value: out, end: i + 1 };
    }
    return undefined;
  }
  for (let i = pos + 1; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') return { value: out, end: i + 1 };
    if (ch !== '\\') { out += ch; continue; }
    const next = line[++i];
    if (next === undefined) return undefined;
    const simple = ESCAPES[next];
    if (simple !== undefined && Object.hasOwn(ESCAPES, next)) { out += simple; continue; }
    const length = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const hex = line.substr(i + 1, length);
    if (length === 0 || hex.length !== length || !HEX.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return undefined;
    out += String.fromCodePoint(code);
    i += length;
  }
  return undefined;
}

/** Spaces from `pos`, then the end of the line or a comment: true when nothing else follows. */
export function restIsBlank(line: string, pos: number): boolean {
  let i = pos;
  while (line[i] === ' ') i++;
  if (i === line.length) return true;
  return line[i] === '#' && i > pos;
}

const FLOW_END = new Set([',', '[', ']', '{', '}']);
/** Characters that start something other than a plain scalar (or might, depending on what follows). */
const INDICATOR = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/** A plain scalar inside a flow collection: up to the next flow indicator (or `:`, for a key), with no `:` nor comment in it. */
function flowPlain(line: string, pos: number, key = false): { text: string; end: number } | undefined {
  const first = line[pos];
  if (first === undefined) return undefined;
  if (INDICATOR.has(first)) {
    const next = line[pos + 1];
    if (first !== '-' || next === undefined || next === ' ' || FLOW_END.has(next)) return undefined;
  }
  let i = pos;
  for (; i < line.length; i++) {
    const ch = line[i]!;
    if (FLOW_END.has(ch) || (key && ch === ':')) break;
    if (ch === ':' || (ch === '#' && line[i - 1] === ' ')) return undefined;
  }
  let end = i;
  while (line[end - 1] === ' ') end--;
  return { text: line.slice(pos, end), end };
}

type Flow = { seq: unknown[]; map?: undefined } | { map: Record<string, unknown>; keys: Set<string>; key?: string; seq?: undefined };

/**
 * A flow collection opened and closed on this line, starting at `line[pos]` (`[` or `{`), nested at
 * most `room` levels; without recursion. No trailing commas, no empty or implicit values, no `:`
 * in plain scalars, no comments inside.
 */
export function readFlow(line: string, pos: number, room: number): Read | undefined {
  const stack: Flow[] = [];
  // What comes next: a value (or a close, right after an open), a key, or a separator.
  let expect = 'value' as 'value' | 'key' | 'sep';
  let justOpened = false;
  let i = pos;
  let done: unknown;
  const open = (ch: string): boolean => {
    if (stack.length >= room) return false;
    stack.push(ch === '[' ? { seq: [] } : { map: {}, keys: new Set() });
    expect = ch === '[' ? 'value' : 'key';
    justOpened = true;
    return true;
  };
  const put = (value: unknown): void => {
    const top = stack.at(-1);
    if (top === undefined) done = value;
    else if (top.map === undefined) top.seq.push(value);
    else { setKey(top.map, top.key!, value); top.key = undefined; }
    expect = 'sep';
  };
  if (!open(line[i]!)) return undefined;
  i++;
  while (stack.length > 0) {
    while (line[i] === ' ') i++;
    const ch = line[i];
    if (ch === undefined) return undefined;
    const top = stack.at(-1)!;
    const close = top.map === undefined ? ']' : '}';
    if (ch === close && (expect === 'sep' || justOpened)) {
      stack.pop();
      put(top.map ?? top.seq);
      i++;
      justOpened = false;
      continue;
    }
    justOpened = false;
    if (expect === 'sep') {
      if (ch !== ',') return undefined;
      expect = top.map === undefined ? 'value' : 'key';
      i++;
      continue;
    }
    if (expect === 'key') {
      const k = flowKey(line, i);
      if (!k) return undefined;
      const key = k.key;
      i = k.end;
      if (line[i] !== ':' || line[i + 1] !== ' ' || top.map === undefined || top.keys.has(key)) return undefined;
      top.keys.add(key);
      top.key = key;
      i += 2;
      expect = 'value';
      continue;
    }
    if (ch === '[' || ch === '{') {
      if (!open(ch)) return undefined;
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const q = readQuoted(line, i);
      if (!q) return undefined;
      put(q.value);
      i = q.end;
      continue;
    }
    const p = flowPlain(line, i);
    if (!p || p.text === '') return undefined;
    put(resolvePlain(p.text));
    i = p.end;
  }
  return { value: done, end: i };
}

/** A key in a flow map (a map inside one is a value): quoted, or plain and followed at once by `:`. */
function flowKey(line: string, pos: number): { key: string; end: number } | undefined {
  if (line[pos] === '"' || line[pos] === "'") {
    const q = readQuoted(line, pos);
    return q && q.end - pos <= 1000 ? { key: q.value, end: q.end } : undefined;
  }
  const p = flowPlain(line, pos, true);
  if (!p || line[p.end] !== ':' || p.end - pos > 1000) return undefined;
  const key = plainKey(p.text);
  return key === undefined ? undefined : { key, end: p.end };
}
