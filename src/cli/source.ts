// Where offline commands read the log from: an NDJSON export (`--log`), the db in `--data`, or — when
// a running daemon holds that db's lock — the daemon's control socket.
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { decodeEvent } from '../core/events.js';
import type { State } from '../core/state.js';
import { controlSocketPath } from '../daemon/control.js';
import { DbLockedError } from '../log/errors.js';
import { readNdjson } from '../log/ndjson.js';
import { EventStore, type ReadItem } from '../log/store.js';

export class NoLogError extends Error {
  constructor(readonly dir: string) {
    super(`read event log: ${dir}: no podledger data here; pass --data DIR of a node, or --log FILE.ndjson from 'podledger export'`);
    this.name = 'NoLogError';
  }
}

export interface LogSource {
  items: AsyncIterable<ReadItem>;
  /** where the events come from, for messages */
  origin: string;
  close(): Promise<void>;
}

export async function openLog(opts: { log?: string; data: string }): Promise<LogSource> {
  if (opts.log) return { items: readNdjson(opts.log), origin: opts.log, close: async () => {} };
  if (!existsSync(opts.data)) throw new NoLogError(opts.data);
  try {
    const store = await EventStore.open(opts.data);
    return { items: store.read(), origin: opts.data, close: () => store.close() };
  } catch (err) {
    if (!(err instanceof DbLockedError)) throw err;
    const socket = controlSocketPath(opts.data);
    const response = await get(socket, '/events').catch(() => {
      throw err; // no daemon answers either: the lock error says how to proceed
    });
    return { items: socketItems(response), origin: `daemon at ${socket}`, close: async () => void response.destroy() };
  }
}

/** The running daemon's live projection, if one serves this data dir. */
export async function daemonState(data: string): Promise<{ seq: number; stateHash: string; state: State } | undefined> {
  const socket = controlSocketPath(data);
  if (!existsSync(socket)) return undefined;
  try {
    const res = await get(socket, '/state');
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return JSON.parse(body) as { seq: number; stateHash: string; state: State };
  } catch {
    return undefined;
  }
}

function get(socketPath: string, path: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path }, (res) => (res.statusCode === 200 ? resolve(res) : reject(new Error(`HTTP ${res.statusCode}`))));
    req.on('error', reject);
  });
}

async function* socketItems(res: http.IncomingMessage): AsyncGenerator<ReadItem> {
  for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const raw = JSON.parse(line) as { corrupt?: number; reason?: string };
    if (raw.corrupt !== undefined) { yield { ok: false, seq: raw.corrupt, reason: raw.reason ?? 'corrupt' }; continue; }
    const decoded = decodeEvent(raw);
    yield decoded.ok ? { ok: true, event: decoded.event } : { ok: false, seq: decoded.seq ?? 0, reason: decoded.reason };
  }
}
