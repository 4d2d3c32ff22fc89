// Why a path given by the user could not be read, in words rather than a bare errno ("ENOENT"), for
// messages shaped "what failed: which thing: why; fix".

/** The reason a read of `path` failed; `expected` is what the path should have been. */
export function fsReason(cause: unknown, expected: 'file' | 'folder'): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return `no such ${expected}`;
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOTDIR': return expected === 'folder' ? 'not a folder' : 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied (not readable by this user)';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'path too long';
    default: return `cannot be read (${cause instanceof Error ? cause.message : String(cause)})`;
  }
}
