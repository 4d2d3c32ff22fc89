// YAML texts for the properties of the subset reader (yaml-subset.test.ts): trees of values written
// in many styles (block or flow, compact or not, quoted or plain or block scalars, comments, blank
// lines, odd indentation), some of them not valid YAML. The style is drawn from a seeded generator,
// so a failing case replays from its seed. yaml is the oracle: the text need not mean its tree.
import fc from 'fast-check';

export type Tree = string | number | boolean | null | Tree[] | { [key: string]: Tree };

/** Plain scalars at the edges of the core schema's resolution, and of what a plain scalar may be. */
export const TOKENS = [
  'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'null', 'Null', 'NULL', 'nULL', '~', '',
  '0', '-0', '+0', '+1', '-1', '08', '0o17', '0o8', '0O17', '0x1F', '0X1F', '-0x1', '0x', '0b1', '1_000', '1,000',
  '1.0.0', '1.', '.5', '-.5', '+.5', '.', '1e3', '1E-3', '+1.5e+3', '1.e3', '.5e1', '1e', 'e3', '.inf', '-.Inf', '+.INF',
  '.Inf', '.nan', '.NaN', '.NAN', '-.nan', 'nan', 'inf', 'Infinity', '123456789012345678901234567890', '0.1', '1.50', '00',
  '12:30', '1:2:3', 'a b', 'a  b', 'http://x:80/y', '-c', '--x', '-', '- a', 'a#b', 'a #b', 'x: y', 'x:', 'x::', 'a:b',
  '"q"', "'q'", 'a"b', "a'b", '[a]', '{a}', 'a,b', 'a]', 'a}', 'a[b', 'é', 'ü日本', '😀', '\u00a0x', 'x\u00a0', '*a', '&a',
  '!t', '!!str x', '%x', '@x', '`x', '?x', '? x', ':x', ': x', '|', '>', '|-', '---', '...', 'a\\b', '<<', '__proto__',
  'constructor', 'toString', '0600', '1000:1000', '/var/lib/x', 'docker.io/a/b:1.2', '{{HOST_IP}}', '10s', '1h30m',
];
const KEYS = ['a', 'b', 'app', 'id', 'name', 'image', 'A_B', 'a b', 'x-y', 'é', '1', '0x1', 'true', 'null', '~', '', 'a:b', 'a#b', '<<', '__proto__', 'constructor', '-a', '"k"', 'k k'];

const leaf: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9/._-]{0,8}$/) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ab1 .:-#\'"\\/[]{},\n&*!|>~é😀'.split('')), maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
);
const key = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...KEYS.slice(0, 10)) }, { weight: 2, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) });

export const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(key, tie('node'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).node;

/** A small seeded generator (mulberry32): the style of a text follows from its seed. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

// eslint-disable-next-line no-control-regex -- the characters the reader refuses
const ODD = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ODD_ALL = new RegExp(ODD.source, 'g');
const PLAIN_OK = /^[A-Za-z/][A-Za-z0-9_./@-]*$/;
const WORDS = /^(?:true|false|null|yes|no|on|off)$/i;

export type Style = {
  /** 0: mostly plain and block; higher: more flow, quoting, comments and odd spacing. */
  wild: number;
  /** Write JS strings so that they read back as themselves (for manifests), or as raw tokens. */
  faithful: boolean;
};

/** A text for the tree, in a style drawn from the seed. */
export function render(value: Tree, seed: number, style: Style): string {
  const r = rng(seed);
  const chance = (pct: number) => r(100) < pct;
  const wild = style.wild;
  const comment = () => (chance(10 * wild) ? `${' '.repeat(1 + r(3))}#${['', ' c', ' x: y', ' - a', '#'][r(5)]}` : '');
  const step = () => [2, 2, 2, 4, 1, 3][r(chance(20 * wild) ? 6 : 4)]!;

  const scalar = (v: Tree, inFlow: boolean): string => {
    if (v === null) return ['null', '~', 'Null', ''][r(wild > 0 ? 4 : 1)]!;
    if (typeof v === 'boolean' || typeof v === 'number') {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
      return Object.is(v, -0) ? '-0' : String(v);
    }
    const s = v as string;
    const how = r(10);
    // Characters the reader leaves to yaml: escaped, but now and then written as they are.
    if (ODD.test(s) && !(wild > 0 && chance(20))) return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(ODD_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
    if (style.faithful ? PLAIN_OK.test(s) && !WORDS.test(s) && how < 7 : how < 6) return s;
    if (how < 8 && !s.includes('\n') && !(inFlow && chance(20))) return `'${s.replaceAll("'", "''")}'`;
    const dq = JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (m, h: string) => (chance(50) ? `\\x${h}` : m));
    return wild > 0 && chance(10) ? dq.replace('a', '\\u0061').replace('\\n', '\\N') : dq;
  };

  const flow = (v: Tree): string => {
    const sp = () => ' '.repeat(chance(30 * wild) ? r(3) : 1);
    if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${sp()}${v.map(flow).join(`,${sp()}`)}${sp()}]`;
    if (v !== null && typeof v === 'object') {
      const e = Object.entries(v);
      return e.length === 0 ? '{}' : `{${sp()}${e.map(([k, x]) => `${scalar(k, true)}: ${flow(x)}`).join(`,${sp()}`)}${sp()}}`;
    }
    return scalar(v, true);
  };

  const blockScalar = (s: string, indent: number): string | undefined => {
    if (s === '' || s.trim() === '' || /(^|\n) |\s\n|\s$|^\n/.test(s) && !chance(5)) return undefined;
    const header = ['|', '|-', '>', '>-', '|+', '>+', '|2'][r(wild > 0 ? 7 : 4)]!;
    const ind = ' '.repeat(indent);
    return `${header}${comment()}\n${s.replace(/\n$/, '').split('\n').map((l) => (l === '' ? '' : ind + l)).join('\n')}`;
  };

  const out: string[] = [];
  const extras = (indent: number) => {
    if (chance(5 * wild)) out.push('');
    if (chance(4 * wild)) out.push(`${' '.repeat(r(indent + 3))}# note`);
  };
  /** The value after `key:` or `-` at column `col` (its owner), on this line or the next ones. */
  const after = (v: Tree, col: number, head: string, isSeqItem: boolean) => {
    const isColl = v !== null && typeof v === 'object';
    const empty = isColl && Object.keys(v).length === 0;
    if (!isColl || empty || chance(isColl ? 15 * wild + 5 : 0)) {
      let text = isColl ? flow(v) : typeof v === 'string' && (v.includes('\n') || chance(5 * wild)) ? blockScalar(v, col + step()) : undefined;
      text ??= scalar(v, false);
      out.push(`${head}${text === '' ? '' : ' '}${text}${text.includes('\n') ? '' : comment()}`);
      return;
    }
    if (Array.isArray(v)) {
      out.push(`${head}${comment()}`);
      block(v, isSeqItem ? col + step() : col + (chance(10 * wild) ? 0 : step()));
    } else if (isSeqItem && chance(60)) {
      compact(v as Record<string, Tree>, col, head);
    } else {
      out.push(`${head}${comment()}`);
      block(v, col + step());
    }
  };
  const compact = (v: Record<string, Tree>, dashCol: number, head: string) => {
    const gap = chance(20 * wild) ? 1 + r(3) : 1;
    const col = dashCol + 1 + gap;
    Object.entries(v).forEach(([k, x], i) => after(x, col, `${i === 0 ? head + ' '.repeat(gap) : ' '.repeat(col)}${scalar(k, false)}:`, false));
  };
  const block = (v: Tree, indent: number) => {
    const ind = ' '.repeat(Math.max(0, indent + (chance(wild) ? r(3) - 1 : 0)));
    if (Array.isArray(v)) for (const x of v) { extras(indent); after(x, indent, `${ind}-`, true); }
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { extras(indent); after(x, indent, `${ind}${scalar(k, false)}:`, false); }
    else out.push(ind + scalar(v, false));
  };

  if (chance(5 * wild)) out.push(['---', '%YAML 1.2\n---', '# top', ''][r(4)]!);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && chance(wild > 1 ? 90 : 100)) block(value, 0);
  else out.push(flow(value));
  if (chance(3 * wild)) out.push(['...', '---', '- a', 'x: 1', '  y: 2'][r(5)]!);
  let text = out.join('\n') + (chance(90) ? '\n' : '');
  if (chance(wild)) text = ['\ufeff', '\t', ' '][r(3)] + text;
  if (chance(wild)) text = text.replaceAll('\n', '\r\n');
  return text;
}

/** Up to three random edits of a text: characters changed, removed or repeated. */
export const edits = fc.array(
  fc.record({ at: fc.nat(), len: fc.nat({ max: 12 }), by: fc.oneof(fc.constantFrom('', ' ', '  ', '\n', ':', '-', '- ', '#', ' #', '"', "'", '{', '[', ']', '}', ',', '0', 'x', '\t', '&a', '*a', '!!str ', '|', '>-', '\\', '\\x4', '\r'), fc.string({ maxLength: 3 })) }),
  { minLength: 1, maxLength: 3 },
);
export function edited(text: string, list: { at: number; len: number; by: string }[]): string {
  let t = text;
  for (const { at, len, by } of list) {
    const i = at % (t.length + 1);
    t = t.slice(0, i) + by + t.slice(i + len);
  }
  return t;
}
