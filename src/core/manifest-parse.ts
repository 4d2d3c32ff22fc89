// The fold's parse of a ManifestObserved manifest with today's schema: the hand-written parse of the
// common plain manifest (manifest/fast-parse.ts), else zod. The fast path answers only "valid, and
// this is zod's result"; everything else, and every error, is zod's.
//
// (A memo of zod's results by content, core/manifest-memo.ts, was removed: a 300k-event export
// observes 1,383 manifests of which 1,109 are distinct, and the key, a walk and JSON.stringify of
// each manifest, cost more than it saved: 160 ms against zod's 115 ms for all 1,383.)
import { fastParse } from './manifest/fast-parse.js';
import { manifestSchema, type Manifest } from './manifest/schema.js';

/** A manifest as the fold keeps it, or why today's schema refuses it. */
export type ManifestParse =
  | { readonly ok: true; readonly manifest: Manifest }
  | { readonly ok: false; readonly issues: readonly { readonly path: string; readonly message: string }[] };

/** `manifestSchema().safeParse(raw)`, as the fold keeps it. */
export function parseManifest(raw: unknown): ManifestParse {
  const fast = fastParse(raw);
  return fast ? { ok: true, manifest: fast } : zodParse(raw);
}

/** The plain path alone (tests hold the fast one to it). */
export function zodParse(raw: unknown): ManifestParse {
  const parsed = manifestSchema().safeParse(raw);
  return (parsed.success
    ? { ok: true, manifest: parsed.data }
    : { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}
