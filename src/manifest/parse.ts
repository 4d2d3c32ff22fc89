// Manifest text → validated manifest, or errors that point at file:line:col and the field path.
// Pure: the caller reads the file; this only sees its text.
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import type { ManifestError } from '../core/events.js';
import { ManifestSchema, type Manifest } from './schema.js';

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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
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
  const parsed = ManifestSchema.safeParse(document);
  if (!parsed.success) return { ok: false, locate, errors: issuesToErrors(parsed.error.issues, at) };
  if (parsed.data.app.id !== folderId) {
    return { ok: false, locate, errors: [at(['app', 'id'], `must equal the folder name '${folderId}' (got '${parsed.data.app.id}')`)] };
  }
  return { ok: true, manifest: parsed.data, locate, document };
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
  return (path, at = 'value') => {
    let offset = doc.contents?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const parent = doc.getIn(path.slice(0, i), true);
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
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
