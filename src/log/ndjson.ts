// NDJSON export files: one envelope per line, in seq order. Readable without the daemon's LevelDB lock,
// and the input of `EventStore.importEvents`.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { decodeEvent } from '../core/events.js';
import type { Envelope } from '../core/events.js';
import type { ReadItem } from './store.js';

/**
 * Stream the events of an NDJSON file. A bad line (empty, not JSON, not a valid event) yields
 * `{ok: false, seq, reason: 'line N: …'}` with the seq if one could be read, else 0. Blank lines count
 * as bad, so the n-th item is always line n (`importEvents` reports errors by that position).
 */
export async function* readNdjson(file: string): AsyncGenerator<ReadItem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n += 1;
      if (line.trim() === '') {
        yield { ok: false, seq: 0, reason: `line ${n}: empty line` };
        continue;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        yield { ok: false, seq: 0, reason: `line ${n}: not JSON: ${(err as Error).message}` };
        continue;
      }
      const r = decodeEvent(raw);
      yield r.ok ? r : { ok: false, seq: r.seq ?? 0, reason: `line ${n}: ${r.reason}` };
    }
  } finally {
    lines.close();
  }
}

const CHUNK_BYTES = 64 * 1024; // one write() per line is several times slower than writing chunks

/** Write envelopes as NDJSON, honouring backpressure. Returns the number written; does not end `out`. */
export async function writeNdjson(items: AsyncIterable<Envelope>, out: NodeJS.WritableStream): Promise<number> {
  let count = 0;
  let buf = '';
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
