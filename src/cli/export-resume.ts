// Where a followed export resumes: after the last whole line of the file it writes to. A stop mid-write
// (kill -9, power loss) can leave the file ending in part of a line; that part is cut off and its event
// written again, whole. Only the file's tail is read, however long the file has grown.
import { open, type FileHandle } from 'node:fs/promises';
import { InvalidInputError } from './errors.js';
import { seqOfLine } from './otel.js';

export type ExportFormat = 'ndjson' | 'otel';

export interface ResumePoint {
  /** the seq of the last event in the file, if it holds one */
  last?: number;
  /** whole lines found at the end (0: an empty or new file; 1 with no `last`: only an NDJSON header) */
  lines: number;
}

const STEP = 64 * 1024;

export async function resumePoint(file: string, format: ExportFormat): Promise<ResumePoint> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: 0 };
    throw new InvalidInputError(`export --follow: cannot continue ${file}: ${(err as Error).message}; fix: give --out a file podledger may write`, undefined, { cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    const { line, end } = await lastWholeLine(fh, size);
    if (end < size) {
      await fh.truncate(end);
      process.stderr.write(`podledger: export --follow: ${file} ended in part of a line (${size - end} bytes, from a stop mid-write); it was cut off and its event is written again\n`);
    }
    if (line === undefined) return { lines: 0 };
    const seq = seqOfLine(line);
    const kind = line.startsWith('{"resourceLogs"') ? 'otel' : 'ndjson';
    if (seq === undefined && !(kind === 'ndjson' && isExportHeader(line))) {
      throw new InvalidInputError(`export --follow: cannot continue ${file}: its last line is not an event podledger exported; fix: give --out a new file, or move this one aside`);
    }
    if (kind !== format) {
      throw new InvalidInputError(`export --follow: cannot continue ${file}: it holds ${kind} lines, not ${format}; fix: give --format ${kind}, or --out a new file`);
    }
    return seq === undefined ? { lines: 1 } : { last: seq, lines: 1 };
  } finally {
    await fh.close();
  }
}

/** The last line that ends in a newline, and the offset just past it (0 when there is none). */
async function lastWholeLine(fh: FileHandle, size: number): Promise<{ line?: string; end: number }> {
  let tail = Buffer.alloc(0);
  let from = size;
  let end: number | undefined;
  while (from > 0) {
    const start = Math.max(0, from - STEP);
    const chunk = Buffer.alloc(from - start);
    await fh.read(chunk, 0, chunk.length, start);
    tail = Buffer.concat([chunk, tail]);
    from = start;
    const lastNl = tail.lastIndexOf(0x0a);
    if (lastNl < 0) continue;
    end ??= from + lastNl + 1;
    const lineEnd = end - from - 1;
    const before = lineEnd > 0 ? tail.lastIndexOf(0x0a, lineEnd - 1) : -1;
    if (before >= 0 || from === 0) return { line: tail.subarray(before + 1, lineEnd).toString('utf8'), end };
  }
  return { end: end ?? 0 };
}

function isExportHeader(line: string): boolean {
  try {
    return (JSON.parse(line) as { podledger?: unknown }).podledger === 'export';
  } catch {
    return false;
  }
}
