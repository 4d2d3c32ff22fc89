// Is a file handed to us a podledger log (an NDJSON export)? Files from elsewhere are untrusted: a
// binary, an empty file, another JSON format or a log whose lines are mostly damaged must be refused,
// not folded as "no events" (which `replay --check` would then call agreement).
//
// Two judgements. `sniffLog` reads only the first SNIFF_BYTES, whatever the file's size, and decides
// from the lines in them: most must be events (or the export header). `undecodableGuard` then watches
// a whole read: if more of the file's lines fail to decode than decode, the file is refused at its end.
// Blank lines count for neither side; the reader reports each line as it always has (./ndjson.ts).
import { open } from 'node:fs/promises';
import { isBlankLine, lineItem } from './ndjson.js';
import type { ReadItem } from './reader.js';

/** How much of a file `sniffLog` reads. */
export const SNIFF_BYTES = 64 * 1024;

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Judge `file` by its first SNIFF_BYTES (one read: a multi-GB or sparse file costs the same as a small one). */
export async function sniffLog(file: string): Promise<Verdict> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES + 1); // one byte more says whether the file goes on
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return judgeStart(buf.subarray(0, Math.min(bytesRead, SNIFF_BYTES)), bytesRead <= SNIFF_BYTES);
  } finally {
    await fh.close();
  }
}

/** A judged line of the start of a file. */
type Judged = { kind: 'good' | 'blank' } | { kind: 'bad'; line: number; reason: string; text: string; binary?: 'nul' | 'utf8' };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keeps a BOM, as the reader does
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The verdict on the first bytes of a file (`whole`: they are all of it). Lines are split as the
 * reader splits them (\n, \r\n, lone \r; in UTF-8 those bytes are always those characters); a last
 * line cut off by the end of the sample is not judged.
 */
export function judgeStart(bytes: Buffer, whole: boolean): Verdict {
  if (bytes.length === 0) return refuse('the file is empty');
  const lines = splitLines(bytes, whole);
  if (lines.length === 0) return judgeLongFirstLine(bytes);
  const judged = lines.map((b, i) => judgeLine(b, i + 1));
  const good = judged.filter((j) => j.kind === 'good').length;
  const bad = judged.filter((j): j is Extract<Judged, { kind: 'bad' }> => j.kind === 'bad');
  const counted = good + bad.length;
  const first = `the first ${kib(SNIFF_BYTES)}`;
  if (counted === 0) return refuse(whole ? 'the file holds only blank lines' : `${first} of the file are blank lines`);
  const header = judged[0]!;
  // a first line that claims to be the export header and is not one: what it says cannot be trusted
  if (header.kind === 'bad' && header.reason.startsWith('line 1: bad export header')) return refuse(header.reason, '');
  if (good === 0) return refuse(noEvents(bad[0]!, counted, whole));
  if (bad.length > good) {
    return refuse(`mostly undecodable: ${bad.length} of ${whole ? 'its' : 'the first'} ${counted} lines are not podledger events (${bad[0]!.reason})`, '');
  }
  return { ok: true };
}

const refuse = (reason: string, prefix = 'not a podledger log: '): Verdict => ({ ok: false, reason: `${prefix}${reason}` });
const kib = (n: number) => `${n / 1024} KiB`;

function splitLines(bytes: Buffer, whole: boolean): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x0a && b !== 0x0d) continue;
    lines.push(bytes.subarray(start, i));
    if (b === 0x0d && bytes[i + 1] === 0x0a) i++;
    start = i + 1;
  }
  if (whole && start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function judgeLine(bytes: Buffer, line: number): Judged {
  let text: string;
  let binary: 'nul' | 'utf8' | undefined;
  if (bytes.includes(0)) binary = 'nul';
  try {
    text = utf8.decode(bytes);
  } catch {
    text = lossy.decode(bytes); // as the reader decodes it
    binary ??= 'utf8';
  }
  const item = lineItem(text, line);
  if (!item || item.ok) return { kind: 'good' };
  if (isBlankLine(item)) return { kind: 'blank' };
  return { kind: 'bad', line, reason: item.reason, text, ...(binary ? { binary } : {}) };
}

/** Why a start of a file in which no line is an event is not a log: what it looks like instead. */
function noEvents(first: Extract<Judged, { kind: 'bad' }>, counted: number, whole: boolean): string {
  const n = `line ${first.line}`;
  if (first.binary === 'nul') return `binary data, not text (NUL bytes on ${n})`;
  let raw: unknown;
  try {
    raw = JSON.parse(first.text);
  } catch {
    if (first.binary === 'utf8') return `binary data, not UTF-8 text (${n})`;
    const t = first.text.trim();
    if (t === '{' || t === '[') return `${n} is '${t}' alone: a JSON document spread over lines, not one event per line (${first.reason})`;
    return `${n} is not JSON (${first.reason})`;
  }
  if (Array.isArray(raw)) return `${n} is a JSON array; a podledger log has one event object per line`;
  if (typeof raw !== 'object' || raw === null) return `${n} is a JSON ${raw === null ? 'null' : typeof raw}, not an event object`;
  if ('Type' in raw && ('Action' in raw || 'Status' in raw)) return `${n} is a docker/podman event (Type, ${'Action' in raw ? 'Action' : 'Status'}), not a podledger event`;
  if (!('seq' in raw) && !('type' in raw)) return `${n} is a JSON object with neither seq nor type: not a podledger event`;
  if (whole && counted === 1) return `its only line is not a podledger event (${first.reason})`;
  return `none of ${whole ? 'its' : 'the first'} ${counted} lines is a podledger event (${first.reason})`;
}

/** The first SNIFF_BYTES hold no line break, and more follows: a very long first line, or not text at all. */
function judgeLongFirstLine(bytes: Buffer): Verdict {
  if (bytes.includes(0)) return refuse('binary data, not text (NUL bytes on line 1)');
  const start = bytes.subarray(0, 16).toString('utf8').replace(/^\uFEFF/, '');
  // an export header can be that long (a compacted log's holds the state at its cut); a first event cannot
  if (start.startsWith('{"podledger"')) return { ok: true };
  return refuse(`no line break in ${`the first ${kib(SNIFF_BYTES)}`}: not NDJSON (one event per line)`);
}

/**
 * `items` as they come, counting decoded and undecodable lines; at the end of a whole read, `refuse`
 * is called when more lines failed to decode than decoded. A read stopped early is not judged.
 */
export async function* undecodableGuard(items: AsyncIterable<ReadItem>, refuse: (reason: string) => never): AsyncGenerator<ReadItem> {
  const count = undecodableCount();
  for await (const item of items) {
    count.see(item);
    yield item;
  }
  count.judge(refuse);
}

/** `undecodableGuard` over batches of items (`readNdjsonBatches`): the same count and verdict, an async step per batch. */
export async function* undecodableGuardBatches(batches: AsyncIterable<readonly ReadItem[]>, refuse: (reason: string) => never): AsyncGenerator<readonly ReadItem[]> {
  const count = undecodableCount();
  for await (const batch of batches) {
    for (const item of batch) count.see(item);
    yield batch;
  }
  count.judge(refuse);
}

function undecodableCount() {
  let good = 0;
  let bad = 0;
  let first: string | undefined;
  return {
    see(item: ReadItem): void {
      if (item.ok) good += 1;
      else if (!isBlankLine(item)) {
        bad += 1;
        first ??= item.reason;
      }
    },
    judge(refuse: (reason: string) => never): void {
      if (bad > good) refuse(`mostly undecodable: ${bad} of its ${good + bad} lines are not podledger events (the first: ${first})`);
    },
  };
}
