// Host path containment, for binds and rendered files.
import path from 'node:path/posix';

/** `inner` is `outer` or lies below it (both normalised first). */
export function within(inner: string, outer: string): boolean {
  const rel = path.relative(path.normalize(outer), path.normalize(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
