// NDJSON export files: one envelope per line, in seq order. Readable without the daemon's LevelDB lock,
// and the input of `EventStore.importEvents`.
import { closeSync, openSync, readSync } from 'node:fs';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { decodeEvent, ownedFast } from '../core/events.js';
import type { Envelope } from '../core/events.js';
import { ImportError } from './errors.js';
import { looksLikeHeader, parseHeader, type ExportHeader } from './export-header.js';
import type { OnCorrupt } from './fold.js';
import { matchesRead, type EventLookup, type FactQuery, type ReadItem, type ReadOptions } from './reader.js';

/**
 * Stream the events of an NDJSON file, each with its line number. A bad line (empty, not JSON, not a
 * valid event) yields `{ok: false, seq, reason: 'line N: …'}` with the seq if one could be read, else 0.
 * A first line that is an export header (see export-header.ts) is not an event: a valid one is passed
 * over (`readExportHeader` reads it), an invalid one is a bad line.
 */
export async function* readNdjson(file: string): AsyncGenerator<ReadItem> {
  for await (const batch of readNdjsonBatches(file)) yield* batch;
}

/**
 * `readNdjson`, a batch at a time (the lines of one large read): the same items in the same order,
 * for readers of many events (folds) that need not pay an async step per line.
 */
export async function* readNdjsonBatches(file: string): AsyncGenerator<ReadItem[]> {
  let line = 0;
  for await (const texts of ndjsonLines(file)) {
    const batch: ReadItem[] = [];
    for (const text of texts) {
      line += 1;
      const it = lineItem(text, line);
      if (it) batch.push(it);
    }
    if (batch.length > 0) yield batch;
  }
}

/** A line longer than this is not read into memory: it is reported as a bad line and passed over. */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;
/** A line that was passed over, not read: longer than MAX_LINE_CHARS. */
export interface LongLine { tooLong: true }

const EMPTY_LINE = 'empty line';

/**
 * What `readNdjson` yields for line number `line` of an export: its event, a bad line, or nothing
 * (a valid export header on line 1, which `readExportHeader` reads).
 */
export function lineItem(text: string | LongLine, line: number): ReadItem | undefined {
  if (typeof text !== 'string') return badLine(line, `longer than ${MAX_LINE_CHARS / 1048576} MiB: not read`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return badLine(line, text.trim() === '' ? EMPTY_LINE : `not JSON: ${(err as Error).message}`);
  }
  if (line === 1 && looksLikeHeader(raw)) {
    const h = parseHeader(raw);
    return h.ok ? undefined : badLine(line, h.reason);
  }
  // fresh from JSON.parse: ours to keep. The fast path first, with no result object (decodeOwned's
  // own order): a line is one allocation fewer, and this runs once per event of a replay
  const event = ownedFast(raw);
  if (event) return { ok: true, event, line };
  const r = decodeEvent(raw);
  return r.ok ? { ok: true, event: r.event, line } : badLine(line, r.reason, r.seq ?? 0);
}

const badLine = (line: number, reason: string, seq = 0): ReadItem => ({ ok: false, seq, reason: `line ${line}: ${reason}`, line });

/** A blank line of an export (no data, so neither an event nor damage to one). */
export const isBlankLine = (item: ReadItem): boolean => !item.ok && item.line !== undefined && item.reason === `line ${item.line}: ${EMPTY_LINE}`;

/**
 * The lines of a file as readline (crlfDelay: Infinity) gives them — ended by \n, \r\n or a lone \r,
 * the last one only if not empty — in batches: split from large reads, not one event per line. A line
 * longer than MAX_LINE_CHARS comes as a LongLine as soon as it is that long: the rest of it is dropped
 * as it is read, never held whole.
 */
export async function* ndjsonLines(file: string): AsyncGenerator<(string | LongLine)[]> {
  let rest = '';
  let skipping = false; // passing over the rest of a LongLine
  let restCR = false; // rest may hold a \r
  const split = (text: string): string[] => {
    const body = text.endsWith('\r') ? text.slice(0, -1) : text;
    return body.includes('\r') ? body.split('\r') : [body];
  };
  const push = (to: (string | LongLine)[], texts: string[]) => { for (const t of texts) to.push(t); }; // not push(...texts): millions of \r are millions of arguments
  for (const chunk of textChunks(file)) {
    const lines: (string | LongLine)[] = [];
    let buf: string;
    let start = 0;
    let nl: number; // the next \n (rest has none)
    if (skipping) {
      const end = chunk.search(/[\r\n]/);
      if (end === -1) continue;
      skipping = false;
      buf = chunk;
      start = chunk[end] === '\r' && chunk[end + 1] === '\n' ? end + 2 : end + 1;
      nl = buf.indexOf('\n', start);
    } else {
      // looked for in the chunk alone: searching rest + chunk would copy a long line's rest once per
      // chunk (quadratic in a line's length with small reads); a line grows unsearched until its \n
      const first = chunk.indexOf('\n');
      nl = first === -1 ? -1 : rest.length + first;
      buf = rest + chunk;
    }
    // rest's \r were looked for when it came as a chunk: searching all of buf would scan a long line once per chunk
    const chunkCR = chunk.includes('\r');
    if (!chunkCR && !restCR) {
      // no \r anywhere (every line of an export we wrote): each line as it is, no split, no array per line
      for (; nl !== -1; nl = buf.indexOf('\n', start)) {
        lines.push(buf.slice(start, nl));
        start = nl + 1;
      }
    }
    for (; nl !== -1; nl = buf.indexOf('\n', start)) {
      push(lines, split(buf.slice(start, nl)));
      start = nl + 1;
    }
    rest = start === 0 ? buf : buf.slice(start);
    restCR = rest.length > 0 && (chunkCR || (restCR && start === 0)); // may: a \r at most sends a chunk through split
    if (rest.length > MAX_LINE_CHARS) {
      const cr = rest.lastIndexOf('\r', rest.length - 2); // lines ended by a lone \r (not a \r whose \n may come next)
      if (cr !== -1) {
        push(lines, rest.slice(0, cr).split('\r'));
        rest = rest.slice(cr + 1);
      }
      if (rest.length > MAX_LINE_CHARS) {
        lines.push({ tooLong: true });
        skipping = true;
        rest = '';
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (rest.length > 0) yield split(rest);
}

/** How much of a file `textChunks` reads at a time. */
const READ_BYTES = 1 << 16;

/**
 * The text of a file, decoded as UTF-8 (a character split between two reads is decoded whole, a
 * truncated one at the end is U+FFFD, as a utf8 read stream gives them), READ_BYTES at a time.
 *
 * Read synchronously, into one buffer: the offline commands that read exports have nothing else to
 * do meanwhile, and a read stream's machinery and thread-pool round trip per read cost ~90 ms of a
 * 300k-event `replay --log` (~0.1 ms a read; more on a loaded machine), its fresh buffer per read
 * garbage. 64 KiB reads, not 1 MiB: lines sliced from a chunk that stays in cache parse ~1.6× faster
 * (JSON.parse walks the chunk's memory; docs/benchmarks.md, replay --log).
 */
function* textChunks(file: string): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    for (let n = readSync(fd, buf, 0, READ_BYTES, null); n > 0; n = readSync(fd, buf, 0, READ_BYTES, null)) {
      const text = decoder.write(buf.subarray(0, n));
      if (text.length > 0) yield text;
    }
    const tail = decoder.end();
    if (tail.length > 0) yield tail;
  } finally {
    closeSync(fd);
  }
}

/** The export's header, if its first line is one; a header that is there but invalid is an error. */
export async function readExportHeader(file: string): Promise<ExportHeader | undefined> {
  for await (const lines of ndjsonLines(file)) {
    const text = lines[0];
    if (typeof text !== 'string') return undefined; // too long to be read: readNdjson reports the line
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return undefined; // not a header; readNdjson reports the line
    }
    if (!looksLikeHeader(raw)) return undefined;
    const h = parseHeader(raw);
    if (!h.ok) throw new ImportError(1, undefined, `${file}: ${h.reason}`);
    return h.header;
  }
  return undefined;
}

const CHUNK_BYTES = 64 * 1024; // one write() per line is several times slower than writing chunks

/** Write envelopes as NDJSON (after `header`), honouring backpressure. Returns the number of events written; does not end `out`. */
export async function writeNdjson(items: AsyncIterable<Envelope>, out: NodeJS.WritableStream, header?: ExportHeader): Promise<number> {
  let count = 0;
  let buf = header ? `${JSON.stringify(header)}\n` : '';
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain'); // rejects if the stream emits 'error' meanwhile
  };
  for await (const env of items) {
    buf += JSON.stringify(env) + '\n';
    count += 1;
    if (buf.length >= CHUNK_BYTES) {
      await write(buf);
      buf = '';
    }
  }
  if (buf) await write(buf);
  return count;
}

/**
 * Reads of an export without an index: each read is one pass over the file that filters as it goes
 * (an export is in seq order, so a read by seq stops past the last one asked for).
 */
export function ndjsonLookup(file: string, read: (file: string) => AsyncIterable<ReadItem> = readNdjson): EventLookup {
  return {
    read: (opts) => scan(read(file), opts),
    async getMany(seqs) {
      const wanted = new Set(seqs);
      const last = seqs.reduce((m, s) => Math.max(m, s), 0);
      const found = new Map<number, ReadItem>();
      for await (const item of read(file)) {
        const seq = item.ok ? item.event.seq : item.seq;
        if (wanted.has(seq)) found.set(seq, item);
        if (seq > last) break;
      }
      return seqs.map((s) => found.get(s));
    },
    async previousFacts(queries, onCorrupt) {
      return previousFactsInOnePass(read(file), queries, onCorrupt);
    },
  };
}

async function* scan(items: AsyncIterable<ReadItem>, o: ReadOptions): AsyncGenerator<ReadItem> {
  const since = o.since ?? 0;
  const until = o.until ?? Infinity;
  const matching: ReadItem[] = []; // for a reverse read only
  for await (const item of items) {
    if (item.ok) {
      const e = item.event;
      if (e.seq > until) break;
      if (e.seq <= since || !matchesRead(e, o)) continue;
    }
    if (o.reverse) matching.push(item);
    else yield item; // a bad line is passed on whatever the filter: it may be one of the events asked for
  }
  yield* matching.reverse();
}

/** For each query, the latest HostFactsObserved before it that changed each of its names, in one pass. */
async function previousFactsInOnePass(items: AsyncIterable<ReadItem>, queries: readonly FactQuery[], onCorrupt: OnCorrupt): Promise<Envelope[]> {
  const pending = [...queries].sort((a, b) => a.seq - b.seq);
  const latest = new Map<string, Envelope>(); // fact name → its latest change so far
  const found = new Map<number, Envelope>();
  const answer = (q: FactQuery) => q.names.forEach((n) => { const e = latest.get(n); if (e) found.set(e.seq, e); });
  for await (const item of items) {
    if (!item.ok) { onCorrupt(item.seq, item.reason); continue; }
    const e = item.event;
    while (pending.length > 0 && pending[0]!.seq <= e.seq) answer(pending.shift()!);
    if (pending.length === 0) break;
    if (e.type === 'HostFactsObserved') for (const n of e.data.changed) latest.set(n, e);
  }
  pending.forEach(answer);
  return [...found.values()];
}
