// Manifest text → validated manifest, or errors that point at file:line:col and the field path.
// Pure: the caller reads the file; this only sees its text. Hostile text is refused before it costs
// much: too large (MANIFEST_MAX_BYTES), nested too deeply (MAX_NESTING), a mapping with too many keys
// (MAX_MAP_KEYS), or too many aliases.
import { Composer, isMap, isScalar, LineCounter, Parser, visit, YAMLParseError, type CST, type Document, type Pair, type YAMLMap } from 'yaml';
import type * as z from 'zod';
import type { ManifestError } from '../core/events.js';
import { fastParse } from '../core/manifest/fast-parse.js';
import { manifestSchema, type Manifest } from '../core/manifest/schema.js';
import { readSubset } from '../core/manifest/yaml-subset.js';

/** A manifest is a few KiB: a larger file is refused unparsed (and read no further than this). */
export const MANIFEST_MAX_BYTES = 256 * 1024;
/** A template file is read no further than this. */
export const TEMPLATE_MAX_BYTES = 1024 * 1024;
/** A manifest nests about 6 collections deep; deeper is refused before the YAML is composed (which recurses). */
export const MAX_NESTING = 32;
/**
 * A manifest's largest mapping (an environment) has a few dozen keys; more than this is refused before
 * the YAML is composed: yaml's duplicate-key check compares each key with every earlier one, so 16,000
 * keys in one mapping cost seconds of CPU on every read of the file.
 */
export const MAX_MAP_KEYS = 1000;

/** `is 300000 bytes, more than the 256 KiB a manifest may have; make it smaller` (`bytes`: the size, when known). */
export function tooLargeMessage(what: 'manifest' | 'template', bytes: number | undefined): string {
  const limit = what === 'manifest' ? MANIFEST_MAX_BYTES : TEMPLATE_MAX_BYTES;
  const shown = limit % 1048576 === 0 ? `${limit / 1048576} MiB` : `${limit / 1024} KiB`;
  return `is ${bytes === undefined ? 'larger than' : `${bytes} bytes, more than`} the ${shown} a ${what} may have; make it smaller`;
}

export type PathSegment = string | number;
/** Position of a field: its value by default, or its key (for unknown keys). */
export type Locate = (path: readonly PathSegment[], at?: 'key' | 'value') => { line: number; col: number };

export type ParsedManifest =
  | { ok: true; manifest: Manifest; locate: Locate; /** the manifest as written, as JSON */ document: Record<string, unknown> }
  | { ok: false; errors: ManifestError[]; locate: Locate };

/**
 * Parse and validate one manifest. `file` is how errors name it (e.g. `apps/x/manifest.yml`);
 * `folderId` is the app folder's name, which the manifest's `app.id` must equal.
 */
export function parseManifest(text: string, file: string, folderId: string): ParsedManifest {
  // The subset reader answers only for text whose value it is sure of, and the answer is kept only
  // for a valid manifest: every other text, and every error, is the plain path's.
  if (text.length * 3 <= MANIFEST_MAX_BYTES || Buffer.byteLength(text, 'utf8') <= MANIFEST_MAX_BYTES) {
    const document = readSubset(text);
    const manifest = document === undefined || hasHugeMap(document) ? undefined : fastParse(document);
    if (document !== undefined && manifest !== undefined && manifest.app.id === folderId) {
      return { ok: true, manifest, locate: lazyLocator(text), document };
    }
  }
  return parseManifestPlain(text, file, folderId);
}

/** Positions need yaml's nodes: a valid manifest's are asked for only when a later check reports. */
function lazyLocator(text: string): Locate {
  let locate: Locate | undefined;
  return (path, at) => {
    if (!locate) {
      const lines = new LineCounter();
      const read = readDocument(text, lines);
      locate = 'doc' in read ? locator(read.doc, lines) : () => ({ line: 1, col: 1 });
    }
    return locate(path, at);
  };
}

/** parseManifest without the subset reader: yaml, then the fast parse or zod (the oracle of its tests). */
export function parseManifestPlain(text: string, file: string, folderId: string): ParsedManifest {
  const lines = new LineCounter();
  const start = () => ({ line: 1, col: 1 });
  // A UTF-16 unit is at most 3 bytes of UTF-8: only a long text needs counting.
  const bytes = text.length * 3 > MANIFEST_MAX_BYTES ? Buffer.byteLength(text, 'utf8') : text.length;
  if (bytes > MANIFEST_MAX_BYTES) return { ok: false, locate: start, errors: [{ file, ...start(), path: '(file)', message: `the manifest ${tooLargeMessage('manifest', bytes)}` }] };
  const read = readDocument(text, lines);
  if ('tooDeep' in read || 'tooManyKeys' in read) {
    const pos = positionIn(text, 'tooDeep' in read ? read.tooDeep : read.tooManyKeys);
    const message = 'tooDeep' in read ? `nested more than ${MAX_NESTING} levels deep; a manifest needs only a few levels: remove the extra brackets or indentation`
      : `a mapping with more than ${MAX_MAP_KEYS} keys (this is key ${MAX_MAP_KEYS + 1}); a manifest needs at most a few dozen in one place: remove the extra keys`;
    return { ok: false, locate: start, errors: [{ file, line: pos.line, col: pos.col, path: '(yaml)', message }] };
  }
  const doc = read.doc;
  const locate = locator(doc, lines);
  const at = (path: readonly PathSegment[], message: string, where: 'key' | 'value' = 'value'): ManifestError => ({
    file, ...locate(path, where), path: formatPath(path), message,
  });

  if (doc.errors.length > 0) {
    return {
      ok: false,
      locate,
      errors: doc.errors.map((e) => {
        // Counted from the text itself: the lexer's line counter misses newlines inside broken tokens.
        const pos = positionIn(text, e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '(yaml)', message: e.message.split('\n')[0] ?? e.message };
      }),
    };
  }
  let document: Record<string, unknown>;
  try {
    document = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  } catch (cause) {
    // An alias without its anchor, or an alias bomb: yaml throws while resolving; say where instead.
    const pos = lines.linePos(aliasOffset(doc) ?? 0);
    const message = (cause as Error).message;
    const fix = /excessive alias/i.test(message) ? 'expand the aliases (at most 100 are resolved)' : 'define the anchor before the alias, or remove it';
    return { ok: false, locate, errors: [{ file, line: pos.line, col: pos.col, path: '(yaml)', message: `${message}: ${fix}` }] };
  }
  // The hand-written parse answers a manifest only when it is valid, with zod's very result; zod (and
  // its schema, built on first use) is left for the rest, so every error is still zod's.
  let manifest = fastParse(document);
  if (manifest === undefined) {
    const parsed = manifestSchema().safeParse(document);
    if (!parsed.success) return { ok: false, locate, errors: issuesToErrors(parsed.error.issues, at) };
    manifest = parsed.data;
  }
  if (manifest.app.id !== folderId) {
    return { ok: false, locate, errors: [at(['app', 'id'], `must equal the folder name '${folderId}' (got '${manifest.app.id}')`)] };
  }
  return { ok: true, manifest, locate, document };
}

/** parseDocument's work, with the nesting checked between the (iterative) CST parse and the (recursive) composition. */
function readDocument(text: string, lines: LineCounter): { doc: Document } | { tooDeep: number } | { tooManyKeys: number } {
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const shape = shapeProblemAt(tokens);
  if (shape) return shape;
  let doc: Document | undefined;
  for (const next of new Composer({ uniqueKeys: true }).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  // compose(…, forceDoc = true) always yields a document.
  return { doc: doc as Document };
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * The first collection nested deeper than MAX_NESTING, or the key past MAX_MAP_KEYS of a mapping (its
 * offset), walked without recursion.
 */
function shapeProblemAt(tokens: readonly CST.Token[]): { tooDeep: number } | { tooManyKeys: number } | undefined {
  type Node = { type: string; offset: number; start?: { source?: string }; value?: Node; items?: { key?: Node | null; value?: Node; start?: { offset: number }[] }[] };
  const stack: [Node, number][] = [...tokens].reverse().map((t) => [t as Node, 0]);
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [token, outer] = top;
    const depth = COLLECTIONS.has(token.type) ? outer + 1 : outer;
    if (depth > MAX_NESTING) return { tooDeep: token.offset };
    const items = token.items ?? [];
    const isMap = token.type === 'block-map' || (token.type === 'flow-collection' && token.start?.source === '{');
    if (isMap && items.length > MAX_MAP_KEYS) {
      const past = items[MAX_MAP_KEYS]!;
      return { tooManyKeys: past.key?.offset ?? past.start?.[0]?.offset ?? token.offset };
    }
    for (const item of [...items].reverse()) {
      if (item.value) stack.push([item.value, depth]);
      if (item.key) stack.push([item.key, depth]);
    }
    if (token.value) stack.push([token.value, depth]);
  }
  return undefined;
}

/** Whether a value read by the subset reader holds a mapping of more than MAX_MAP_KEYS keys (then the plain path refuses it). */
function hasHugeMap(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    const values = Array.isArray(x) ? x : Object.values(x);
    if (!Array.isArray(x) && values.length > MAX_MAP_KEYS) return true;
    for (const v of values) if (typeof v === 'object' && v !== null) stack.push(v); // no spread: a long list would overflow the call
  }
  return false;
}

function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  at: (p: readonly PathSegment[], m: string, where?: 'key' | 'value') => ManifestError,
): ManifestError[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => at([...path, key], `unknown key '${key}': remove it or check its spelling`, 'key'));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest, rather than zod's generic "invalid input".
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      const nested = best.map((i) => ({ ...i, path: [...path, ...i.path] }) as z.core.$ZodIssue);
      if (nested.length > 0) return issuesToErrors(nested, at);
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      return [at(path, `missing: add ${String(path.at(-1) ?? 'it')} (${issue.expected})`)];
    }
    return [at(path, issue.message)];
  });
}

const depth = (issues: readonly z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length));

/** `container.ports[0].host`; a key that is not a plain name is quoted: `environment["A B"]`, `[""]`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === 'number') return `${acc}[${seg}]`;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) return `${acc}[${JSON.stringify(seg)}]`;
    return acc ? `${acc}.${seg}` : seg;
  }, '');
}

/** 1-based line and column of a character offset (clamped to the text). */
export function positionIn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return { line: (before.match(/\r\n|\r|\n/g) ?? []).length + 1, col: before.length - lineStart + 1 };
}

/** Where the first alias of the document is, for errors raised while resolving aliases. */
function aliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/** Position of the deepest node that exists along `path`: a missing field points at its parent. */
export function locator(doc: Document, lines: LineCounter): Locate {
  // Each map's pairs by key, the first of equal keys as a search would find it: a manifest of many
  // unknown keys gets an error at each, which would otherwise cost a search of the map each.
  const indexes = new WeakMap<object, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, seg: PathSegment | undefined): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
      indexes.set(map, index);
    }
    return index.get(String(seg));
  };
  return (path, at = 'value') => {
    let offset = doc.contents?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const parent = doc.getIn(path.slice(0, i), true);
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(parent)) {
        const pair = pairOf(parent, seg);
        const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (!keyRange) break;
        const value = pair?.value as { range?: [number, number, number] } | null | undefined;
        offset = last && at === 'value' && value?.range ? value.range[0] : keyRange[0];
        continue;
      }
      const node = doc.getIn(path.slice(0, i + 1), true) as { range?: [number, number, number] } | undefined;
      if (!node?.range) break;
      offset = node.range[0];
    }
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
}

export function formatManifestError(e: ManifestError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.path}: ${e.message}`;
}
