// A reader for the small, regular YAML that manifests are written in, tried before the yaml package:
// yaml's parser, composer and toJS cost tens of ms of cold JIT at start-up for 20 small documents.
// It answers only when it is certain to give exactly what `parseDocument(text, { uniqueKeys: true })
// .toJS()` gives with no error (same values, same key order); for anything else (anchors, tags,
// multi-line scalars, duplicate keys, odd indentation, any doubt) it answers undefined and the caller
// takes the yaml path, which reports the errors. Line by line, with an explicit stack: no recursion.
import { plainKey, readFlow, readQuoted, resolvePlain, restIsBlank, setKey } from './yaml-scalars.js';

/** Collections nested deeper than this are left to yaml (which refuses more than MAX_NESTING = 32). */
const MAX_DEPTH = 24;

/**
 * Whether the text has a character this reader does not read: tab, CR, other controls, BOM, the line
 * and paragraph separators, non-characters, lone surrogates. yaml treats some of them specially;
 * none belongs in a manifest.
 */
function hasUnread(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c === 0x0a) continue;
    if (c < 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

type Frame =
  | { kind: 'map'; indent: number; map: Record<string, unknown>; keys: Set<string> }
  | { kind: 'seq'; indent: number; seq: unknown[]; /** at its key's indentation (`key:` then `- a` below it) */ level?: true };

/** A node announced by a key or `-` with nothing after it: its value is on the next lines, or null. */
type Pending = { owner: number; set: (value: unknown) => void; key: boolean };

/** A block scalar header this reader reads: no indentation indicator, no keep; a comment after a blank. */
const BLOCK_HEADER = /^([|>]-?)(?: +(?:#.*)?)?$/;

/** Plain keys with these are left to yaml (comments, flow indicators). */
const KEY_ODD = /[#[\]{},]/;

/** Starts of a value that this reader leaves to yaml (anchors, aliases, tags, directives, reserved, explicit keys). */
const NOT_PLAIN = new Set(['&', '*', '!', '%', '@', '`', '?', ',', ']', '}', '#', ':']);

/** The document's value, or undefined when the text is not certainly in the subset. */
export function readSubset(text: string): Record<string, unknown> | undefined {
  if (hasUnread(text)) return undefined;
  return new Reader(text.split('\n')).read();
}

type MapFrame = Frame & { kind: 'map' };
type SeqFrame = Frame & { kind: 'seq' };

class Reader {
  private readonly stack: Frame[] = [];
  private pending: Pending | undefined;

  constructor(private readonly lines: readonly string[]) {}

  read(): Record<string, unknown> | undefined {
    const { lines, stack } = this;
    const root: Record<string, unknown> = {};
    for (let at = 0; at < lines.length; at++) {
      const line = lines[at]!;
      let indent = 0;
      while (line[indent] === ' ') indent++;
      if (indent === line.length || line[indent] === '#') continue;
      if (indent === 0 && (line.startsWith('---') || line.startsWith('...'))) return undefined;
      const dash = line[indent] === '-' && (line[indent + 1] === undefined || line[indent + 1] === ' ');
      if (this.pending && !this.settle(indent, dash)) return undefined;
      if (stack.length === 0) {
        if (indent !== 0 || dash) return undefined;
        stack.push({ kind: 'map', indent: 0, map: root, keys: new Set() });
      }
      // A sequence at its key's indentation ends at the next line there that is not an item.
      for (let top = stack.at(-1)!; top.indent > indent || (top.kind === 'seq' && top.level && top.indent === indent && !dash); top = stack.at(-1)!) stack.pop();
      const top = stack.at(-1)!;
      if (top.indent !== indent) return undefined;
      const last = top.kind === 'seq' ? (dash ? this.item(top, line, indent, at) : undefined) : dash ? undefined : this.entry(top, line, indent, at);
      if (last === undefined) return undefined;
      at = last;
    }
    this.pending?.set(null);
    return stack.length === 0 ? undefined : root;
  }

  /** The pending node: a collection opened by this more indented line, or null. */
  private settle(indent: number, dash: boolean): boolean {
    const p = this.pending!;
    this.pending = undefined;
    const level = indent === p.owner && dash && p.key;
    if (indent <= p.owner && !level) {
      p.set(null);
      return true;
    }
    if (this.stack.length >= MAX_DEPTH) return false;
    const frame: Frame = dash ? { kind: 'seq', indent, seq: [], ...(level ? { level } : {}) } : { kind: 'map', indent, map: {}, keys: new Set() };
    p.set(frame.kind === 'seq' ? frame.seq : frame.map);
    this.stack.push(frame);
    return true;
  }

  /** A value on the rest of line `at`, from `pos`: scalar, one-line flow collection, or block scalar header. */
  private value(line: string, pos: number, owner: number, at: number, set: (v: unknown) => void, key = false): number | undefined {
    const ch = line[pos];
    if (ch === undefined || ch === '#') {
      this.pending = { owner, set, key };
      return at;
    }
    if (ch === '[' || ch === '{') {
      const r = readFlow(line, pos, MAX_DEPTH - this.stack.length);
      if (!r || !restIsBlank(line, r.end)) return undefined;
      set(r.value);
      return at;
    }
    if (ch === '"' || ch === "'") {
      const q = readQuoted(line, pos);
      if (!q || !restIsBlank(line, q.end)) return undefined;
      set(q.value);
      return at;
    }
    if (ch === '|' || ch === '>') return this.blockScalar(BLOCK_HEADER.exec(line.slice(pos))?.[1], owner, at, set);
    if (NOT_PLAIN.has(ch) || (ch === '-' && (line[pos + 1] === undefined || line[pos + 1] === ' '))) return undefined;
    let end = line.indexOf(' #', pos);
    if (end === -1) end = line.length;
    while (line[end - 1] === ' ') end--;
    const plain = line.slice(pos, end);
    // `a: b: c` is an error, and `a: b:` a nested key: both for yaml to report.
    if (plain.includes(': ') || plain.endsWith(':')) return undefined;
    set(resolvePlain(plain));
    return at;
  }

  /**
   * `|`, `|-`, `>` or `>-` (no indentation indicator, no keep; a comment may follow) and its lines, all at one
   * indentation deeper than `owner`: no leading blank line, no trailing spaces, no more-indented
   * line in a folded one, not ending the text without a newline. Returns the last line it took.
   */
  private blockScalar(header: string | undefined, owner: number, at: number, set: (v: unknown) => void): number | undefined {
    const { lines } = this;
    if (header === undefined) return undefined;
    const folded = header[0] === '>';
    const first = lines[at + 1];
    if (first === undefined) return undefined;
    const indent = first.length - first.trimStart().length;
    if (indent <= owner || indent === first.length) return undefined;
    const content: string[] = [];
    let last = at;
    for (let n = at + 1; n < lines.length; n++) {
      const line = lines[n]!;
      if (line === '') {
        content.push('');
        continue;
      }
      let lead = 0;
      while (line[lead] === ' ') lead++;
      if (lead === line.length || line.endsWith(' ')) return undefined;
      if (lead < indent) break;
      if (folded && lead > indent) return undefined;
      content.push(line.slice(indent));
      last = n;
    }
    if (last === lines.length - 1) return undefined;
    content.length = last - at;
    let out = '';
    for (let k = 0; k < content.length; k++) {
      const part = content[k]!;
      if (k === 0) out = part;
      else if (!folded) out += `\n${part}`;
      else if (part === '') out += '\n';
      else out += content[k - 1] === '' ? part : ` ${part}`;
    }
    set(header.length === 1 ? `${out}\n` : out);
    return last;
  }

  /** `key: …` at `pos` of line `at`, into `frame`; returns the last line it took. */
  private entry(frame: MapFrame, line: string, pos: number, at: number): number | undefined {
    let key: string | undefined;
    let colon: number;
    const ch = line[pos]!;
    if (ch === '"' || ch === "'") {
      const q = readQuoted(line, pos);
      if (!q || q.end - pos > 1000) return undefined;
      key = q.value;
      colon = q.end;
    } else {
      if (NOT_PLAIN.has(ch) || ch === '-' || ch === '[' || ch === '{' || ch === '|' || ch === '>') return undefined;
      colon = line.indexOf(':', pos);
      if (colon === -1) return undefined;
      const text = line.slice(pos, colon);
      if (KEY_ODD.test(text) || text.endsWith(' ')) return undefined;
      key = plainKey(text);
    }
    const after = line[colon + 1];
    if (key === undefined || line[colon] !== ':' || (after !== undefined && after !== ' ') || frame.keys.has(key)) return undefined;
    frame.keys.add(key);
    const { map } = frame;
    const k = key;
    let v = colon + 1;
    while (line[v] === ' ') v++;
    return this.value(line, v, pos, at, (x) => setKey(map, k, x), true);
  }

  /** `- …` at `pos` of line `at`, into `frame`; returns the last line it took. */
  private item(frame: SeqFrame, line: string, pos: number, at: number): number | undefined {
    let v = pos + 1;
    while (line[v] === ' ') v++;
    const { seq } = frame;
    const index = seq.length;
    seq.push(null);
    const set = (x: unknown) => {
      seq[index] = x;
    };
    const ch = line[v];
    if (ch === '-' && (line[v + 1] === undefined || line[v + 1] === ' ')) return undefined;
    if (ch !== undefined && ch !== '#' && isEntry(line, v)) {
      if (this.stack.length >= MAX_DEPTH) return undefined;
      const map: MapFrame = { kind: 'map', indent: v, map: {}, keys: new Set() };
      set(map.map);
      this.stack.push(map);
      return this.entry(map, line, v, at);
    }
    return this.value(line, v, pos, at, set);
  }
}

/** Whether the text at `pos` is `key: …` (a plain or quoted key then `:` and a blank or the end). */
function isEntry(line: string, pos: number): boolean {
  const ch = line[pos]!;
  if (ch === '"' || ch === "'") {
    const q = readQuoted(line, pos);
    return q !== undefined && line[q.end] === ':' && (line[q.end + 1] === undefined || line[q.end + 1] === ' ');
  }
  if (ch === '[' || ch === '{') return false;
  const colon = line.indexOf(':', pos);
  if (colon === -1) return false;
  const next = line[colon + 1];
  const hash = line.indexOf(' #', pos);
  return (next === undefined || next === ' ') && (hash === -1 || hash > colon);
}
