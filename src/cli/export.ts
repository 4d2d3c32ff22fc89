// `podledger export`: the log as NDJSON (the form `import` and `--log` read back) or as OpenTelemetry
// log records (for a log pipeline), once or following the daemon. A follow into a file resumes after
// the last whole line already there, so a restarted exporter (systemd, a kill, a reboot) writes
// every event exactly once: nothing missed, nothing twice.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Envelope } from '../core/events.js';
import { printable } from '../core/render.js';
import { makeHeader } from '../log/export-header.js';
import { snapshotRecord } from '../log/snapshots.js';
import type { EventLookup, ReadItem } from '../log/reader.js';
import type { Common } from './commands.js';
import { InvalidInputError, UsageError } from './errors.js';
import { noSuchBoot } from './points.js';
import { openLog } from './source.js';
import { Undecodable } from './undecodable.js';
import { otelLine } from './otel.js';
import { resumePoint, type ExportFormat } from './export-resume.js';

export type { ExportFormat };

export interface ExportOptions {
  format: ExportFormat;
  boot?: number;
  out?: string;
  /** only events after this seq */
  since?: number;
  follow?: boolean;
}

/** Lines are gathered to about this many bytes per write while the stored log is read. */
const CHUNK_BYTES = 64 * 1024;

export async function exportCommand(o: Common, x: ExportOptions): Promise<void> {
  if (x.follow && o.log) throw new UsageError('export --follow follows a live log: give --data DIR of the node (its daemon is read through its control socket), not --log');
  if (x.follow && x.boot !== undefined) throw new UsageError('export: --follow writes every daemon run as it is appended; leave out --boot (or export one run without --follow)');
  // A follow into a file continues it; a one-off export into a file replaces it, as it always did.
  const resumed = x.follow && x.out ? await resumePoint(x.out, x.format) : undefined;
  const since = Math.max(x.since ?? 0, resumed?.last ?? 0);
  const bad = new Undecodable(o.log ?? o.data);
  const source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  const out = x.out;
  // A captured log is a file handed to us: it is read whole before anything is written, so one that
  // turns out not to be a log (its guard stops the read) leaves no partial output. A store streams.
  const sink = new LineSink(() => (out ? createWriteStream(out, resumed ? { flags: 'a' } : {}) : process.stdout), o.log !== undefined);
  try {
    if (x.boot !== undefined) await assertBoot(source.lookup, x.boot);
  } catch (err) {
    await source.close();
    throw err;
  }
  let written = 0;
  let last = since;
  // A store knows its node; a captured log may say it only in its daemon runs' BootStarted.
  let node = source.node;
  const otel = (e: Envelope) => {
    if (!source.node && e.type === 'BootStarted' && e.data.node) node = e.data.node;
    return otelLine(e, node);
  };
  const line = x.format === 'otel' ? otel : (e: Envelope) => JSON.stringify(e);
  try {
    if (x.format === 'ndjson' && !(resumed && resumed.lines > 0)) {
      // A whole compacted log carries its cut and the state there, so it imports and replays whole; a part is a part anyway.
      const whole = x.boot === undefined && since === 0 && source.compaction && source.base;
      sink.push(JSON.stringify(makeHeader(node, whole ? { compaction: source.compaction!, snapshot: snapshotRecord(source.base!.state) } : undefined)));
    }
    for await (const batch of since > 0 ? chunks(source.lookup.read({ since })) : source.batches) {
      for (const item of batch) {
        if (!item.ok) { bad.note(item.seq, item.reason); last = Math.max(last, item.seq); continue; }
        const e = item.event;
        last = Math.max(last, e.seq);
        if (x.boot !== undefined && e.boot !== x.boot) continue;
        sink.push(line(e));
        written += 1;
      }
      await sink.flushIfOver(CHUNK_BYTES);
    }
    await sink.flushIfOver(0);
  } finally {
    await source.close();
  }
  bad.report();
  if (x.follow) {
    const where = x.out ? ` to ${x.out}` : '';
    process.stderr.write(`podledger: export --follow: ${resumed?.last ? `resumed after #${resumed.last}, ` : ''}wrote ${written} events${where} through #${last}; following the daemon (Ctrl-C to stop)\n`);
    written += await follow(o.data, last, (e) => sink.push(line(e)), () => sink.flushIfOver(0));
  }
  await sink.end();
  if (x.out) process.stderr.write(`exported ${written} events to ${x.out}${node ? ` (node ${node})` : ''}\n`);
}

/** Follows the daemon's appends after `since` until SIGINT or SIGTERM; returns how many were written. */
async function follow(data: string, since: number, push: (e: Envelope) => void, flush: () => Promise<void>): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let written = 0;
  let pending = Promise.resolve();
  try {
    const { followLog } = await import('./follow.js');
    await followLog(data, {}, since, {
      event: (e) => {
        push(e);
        written += 1;
        // each line is handed to the file as it comes, so a reader tailing it sees the event at once
        pending = pending.then(flush);
      },
      corrupt: (seq, reason) => void process.stderr.write(`podledger: event #${seq} cannot be decoded and is left out: ${printable(reason, 300)}\n`),
      waiting: (message) => void process.stderr.write(`${message}\n`),
    }, stop.signal, 'export --follow');
    await pending;
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
  return written;
}

/** An error naming the boots the log holds when it holds no `boot` (the whole log is read only then). */
async function assertBoot(lookup: EventLookup, boot: number): Promise<void> {
  for await (const item of lookup.read({ boot })) { void item; return; }
  const all: Envelope[] = [];
  for await (const item of lookup.read({})) if (item.ok) all.push(item.event);
  throw new InvalidInputError(`export: --boot ${boot}: ${noSuchBoot(all, boot)}`);
}

async function* chunks(items: AsyncIterable<ReadItem>, size = 512): AsyncGenerator<ReadItem[]> {
  let batch: ReadItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) { yield batch; batch = []; }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Whole lines to a stream, written a chunk at a time, honouring backpressure. The stream is opened at
 * the first write, so a command that fails before writing leaves an existing file as it was.
 */
class LineSink {
  #buf = '';
  #out: NodeJS.WritableStream | undefined;
  /** `hold`: write nothing until `end` */
  constructor(private readonly open: () => NodeJS.WritableStream, private hold = false) {}

  push(line: string): void {
    this.#buf += `${line}\n`;
  }

  async flushIfOver(bytes: number): Promise<void> {
    if (this.hold || this.#buf.length === 0 || this.#buf.length < bytes) return;
    const text = this.#buf;
    this.#buf = '';
    this.#out ??= this.open();
    if (!this.#out.write(text)) await once(this.#out, 'drain'); // rejects if the stream emits 'error' meanwhile
  }

  async end(): Promise<void> {
    this.hold = false;
    await this.flushIfOver(0);
    const out = this.#out ?? this.open();
    if (out === process.stdout) return;
    await new Promise<void>((resolve, reject) => (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
