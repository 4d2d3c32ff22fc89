// The daemon's control socket (`<data>/control.sock`): while the daemon holds the db lock, offline
// commands (`events`, `why`, `status`, `export`, ...) read the log and state through it instead.
import { rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Envelope } from '../core/events.js';
import { stateHash } from '../core/evolve.js';
import type { State } from '../core/state.js';
import type { EventStore } from '../log/store.js';

export const CONTROL_SOCKET = 'control.sock';

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, CONTROL_SOCKET);
}

export async function serveControl(dataDir: string, store: EventStore, state: () => State): Promise<{ close(): Promise<void> }> {
  const socket = controlSocketPath(dataDir);
  await rm(socket, { force: true }); // we hold the db lock: no other daemon can be serving it
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://daemon');
    if (url.pathname === '/state') {
      const s = state();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ seq: s.seq, stateHash: stateHash(s), state: s }));
      return;
    }
    if (url.pathname === '/events') {
      void streamEvents(store, res, Number(url.searchParams.get('since') ?? 0));
      return;
    }
    res.statusCode = 404;
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  return {
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** NDJSON of the log, records that fail to decode included as `{"corrupt": seq, "reason": ...}` lines. */
async function streamEvents(store: EventStore, res: http.ServerResponse, since: number): Promise<void> {
  res.setHeader('content-type', 'application/x-ndjson');
  for await (const item of store.read({ since })) {
    const line = item.ok ? JSON.stringify(item.event satisfies Envelope) : JSON.stringify({ corrupt: item.seq, reason: item.reason });
    if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}
