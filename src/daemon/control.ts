// The daemon's control socket (`<data>/control.sock`): while the daemon holds the db lock, offline
// commands (`events`, `why`, `status`, `export`, ...) read the log and state through it instead.
//
//   GET /daemon                → {pid, seq, boot, startedAt?, podman?}: who serves (a second daemon names
//                                it when refusing), since when, and podman as the daemon last found it
//   GET /state                 → {seq, stateHash, state}: the live projection
//   GET /events?…              → NDJSON of store.read(…): since, until, app | correlation | type, boot,
//                                reverse=1; records that fail to decode as {"corrupt": seq, "reason": …}
//   GET /events?…&follow=1     → the same, then every matching event as it is appended, until either
//                                side closes (a daemon stopping closes it: the reader reconnects later)
//   GET /events?seq=1,5,9      → NDJSON of those records (by seq, the ones the log holds)
//   GET /compaction            → {node?, compaction?, base?: {seq, state}}: the log's node, what `compact`
//                                removed and the state folded from it, for readers that fold the log themselves
//   GET /why-kept?app=A[&text=1] → {through, entries} or {through, texts}: `why --all`'s kept entries of the
//                                app or their texts (log/why-view.ts); {} when none are kept
//   GET /healthz, /readyz, /metrics → health and Prometheus metrics (health-http.ts), when the daemon gives them
import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stateHash } from '../core/evolve.js';
import type { State } from '../core/state.js';
import { historyBase } from '../log/snapshots.js';
import { decodeEvent, type Envelope } from '../core/events.js';
import { matchesRead, parseReadOptions, type ReadItem, type ReadOptions } from '../log/reader.js';
import type { EventStore } from '../log/store.js';
import type { Routes } from './health-http.js';

export const CONTROL_SOCKET = 'control.sock';

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, CONTROL_SOCKET);
}

/** What the daemon says of itself on `/daemon` besides pid, seq and boot (`status` shows it). */
export interface DaemonAbout {
  /** when this daemon process started (ms) */
  startedAt: number;
  podman: { socket: string; reachable: boolean; version?: string; checkedAt?: number };
}

export async function serveControl(dataDir: string, store: EventStore, state: () => State, about?: () => DaemonAbout, health?: Routes): Promise<{ close(): Promise<void> }> {
  const socket = controlSocketPath(dataDir);
  await rm(socket, { force: true }); // we hold the db lock: no other daemon can be serving it
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://daemon');
    const fail = (status: number, message: string) => {
      res.statusCode = status;
      res.end(`${message}\n`);
    };
    if (url.pathname === '/daemon') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ pid: process.pid, seq: store.lastSeq, boot: store.boot, ...about?.() }));
      return;
    }
    if (url.pathname === '/state') {
      const s = state();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ seq: s.seq, stateHash: stateHash(s), state: s }));
      return;
    }
    if (url.pathname === '/events') {
      const query = parseQuery(url.searchParams);
      if (typeof query === 'string') return fail(400, query);
      const items = query.seqs ? byseq(store, query.seqs) : query.follow ? followed(store, query.read, res) : store.read(query.read);
      void streamItems(res, items).catch((err: unknown) => res.destroy(err as Error));
      return;
    }
    if (url.pathname === '/compaction') {
      void compactionInfo(store).then((body) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      }, (err: unknown) => fail(500, (err as Error).message));
      return;
    }
    if (url.pathname === '/why-kept') {
      const app = url.searchParams.get('app');
      if (!app) return fail(400, 'why-kept: app is required');
      void (url.searchParams.get('text') === '1' ? store.whyText(app) : store.whyView(app)).then((kept) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(kept ?? {}));
      }, (err: unknown) => fail(500, (err as Error).message));
      return;
    }
    if (health?.(req, res)) return;
    fail(404, 'not found');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  await chmod(socket, 0o600); // the log's contents are root's alone, whatever the umask
  return {
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The daemon serving `dataDir`, if one answers on its control socket. */
export async function runningDaemon(dataDir: string, timeoutMs = 2_000): Promise<{ pid: number } | undefined> {
  try {
    const { pid } = await controlGetJson<{ pid?: unknown }>(controlSocketPath(dataDir), '/daemon', { timeoutMs });
    return typeof pid === 'number' ? { pid } : undefined;
  } catch {
    return undefined;
  }
}

/** The control socket answered, but not 200 (a daemon of another version may not know the path). */
export class ControlHttpError extends Error {}

/** GET on a control socket; resolves with a 200 response. `timeoutMs`: how long the socket may stay silent. */
export function controlGet(socketPath: string, urlPath: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      res.resume();
      reject(new ControlHttpError(`daemon control socket: GET ${urlPath}: HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`daemon control socket: GET ${urlPath}: no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function controlGetJson<T>(socketPath: string, urlPath: string, opts: { timeoutMs?: number } = {}): Promise<T> {
  const res = await controlGet(socketPath, urlPath, opts);
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return JSON.parse(body) as T;
}

/**
 * The NDJSON of a GET (`/events…`) as read items, requested when first iterated; records the daemon
 * could not decode arrive as `{ok: false}`. A reader that stops early (or aborts) closes the response.
 */
export async function* controlItems(socketPath: string, urlPath: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): AsyncGenerator<ReadItem> {
  const res = await controlGet(socketPath, urlPath, opts);
  try {
    for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const raw = JSON.parse(line) as { corrupt?: number; reason?: string };
      if (raw.corrupt !== undefined) { yield { ok: false, seq: raw.corrupt, reason: raw.reason ?? 'corrupt' }; continue; }
      const decoded = decodeEvent(raw);
      yield decoded.ok ? { ok: true, event: decoded.event } : { ok: false, seq: decoded.seq ?? 0, reason: decoded.reason };
    }
  } finally {
    res.destroy();
  }
}

/** The read a query asks for, or what is wrong with it. */
function parseQuery(params: URLSearchParams): { read: ReadOptions; seqs?: number[]; follow?: boolean } | string {
  const read = parseReadOptions(params);
  if (typeof read === 'string') return read;
  const follow = params.get('follow') === '1';
  if (follow && (read.reverse || read.until !== undefined)) return 'follow reads forward without an end: leave out reverse and until';
  const seq = params.get('seq');
  if (seq === null) return follow ? { read, follow } : { read };
  const seqs = seq.split(',').map(Number);
  if (seqs.some((n) => !Number.isSafeInteger(n) || n <= 0)) return `seq must be a comma-separated list of seqs, got '${seq}'`;
  return { read, seqs };
}

/**
 * The read, then every matching event as it is appended, until the response closes (the reader stops,
 * or the daemon does). Appends are listened to before the read starts, so none falls in between.
 */
async function* followed(store: EventStore, read: ReadOptions, res: http.ServerResponse): AsyncGenerator<ReadItem> {
  const pending: Envelope[] = [];
  let wake: (() => void) | undefined;
  const onAppended = (envs: Envelope[]) => {
    pending.push(...envs.filter((e) => matchesRead(e, read)));
    wake?.();
  };
  const onClose = () => wake?.();
  store.on('appended', onAppended);
  res.on('close', onClose);
  try {
    let last = read.since ?? 0;
    for await (const item of store.read(read)) {
      last = Math.max(last, item.ok ? item.event.seq : item.seq);
      yield item;
    }
    while (!res.destroyed) {
      const fresh = pending.splice(0).filter((e) => e.seq > last);
      for (const event of fresh) yield { ok: true, event };
      last = fresh.at(-1)?.seq ?? last;
      if (pending.length === 0 && !res.destroyed) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    store.off('appended', onAppended);
    res.off('close', onClose);
  }
}

async function* byseq(store: EventStore, seqs: number[]): AsyncGenerator<ReadItem> {
  for (const item of await store.getMany(seqs)) if (item) yield item;
}

/** NDJSON of read items, records that fail to decode included as `{"corrupt": seq, "reason": ...}` lines. */
async function streamItems(res: http.ServerResponse, items: AsyncIterable<ReadItem>): Promise<void> {
  res.setHeader('content-type', 'application/x-ndjson');
  for await (const item of items) {
    if (res.destroyed) return; // the reader has what it wanted
    const line = item.ok ? JSON.stringify(item.event) : JSON.stringify({ corrupt: item.seq, reason: item.reason });
    if (!res.write(`${line}\n`)) await drainedOrClosed(res);
  }
  res.end();
}

function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

async function compactionInfo(store: EventStore): Promise<object> {
  const compaction = store.compaction;
  const node = await store.node();
  return { ...(compaction ? { compaction, base: await historyBase(store) } : {}), ...(node ? { node } : {}) };
}
