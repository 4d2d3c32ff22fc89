// /api/stream of a live daemon's store: appended batches arrive as `append` events of timeline rows
// (a secret's hash never among them), and a client reconnecting with the last seq it saw
// (Last-Event-ID) first gets what it missed.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/daemon/logger.js';
import { serveHttp } from '../../../src/daemon/health-http.js';
import { initialState } from '../../../src/core/state.js';
import { EventStore } from '../../../src/log/store.js';
import { webRoutes } from '../../../src/web/server.js';
import { liveSource } from '../../../src/web/source.js';

let dir: string;
let store: EventStore;
let listener: { address: string; close(): Promise<void> };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podledger-stream-'));
  store = await EventStore.open(join(dir, 'db'));
  await store.beginBoot({ version: '0.1.0', pid: 1, foldVersion: 2, hashVersion: 2 });
  const live = liveSource({ store, state: () => initialState, about: () => ({ startedAt: 0, podman: { socket: '/nowhere', reachable: false } }) });
  listener = await serveHttp({ host: '127.0.0.1', port: 0 }, webRoutes(live), createLogger({ level: 'error', format: 'text' }), { paths: 'ui', what: 'ui', command: 'test' });
});
afterAll(async () => {
  await listener?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Reads the stream until `count` append events have come; their ids and rows. */
function follow(headers: Record<string, string>, count: number): { done: Promise<{ id: number; rows: { seq: number; type: string; summary: string }[] }[]>; text: () => string } {
  let text = '';
  const done = new Promise<{ id: number; rows: { seq: number; type: string; summary: string }[] }[]>((resolve, reject) => {
    const req = http.get(`http://${listener.address}/api/stream`, { headers }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      res.on('data', (c: Buffer) => {
        text += c.toString();
        const events = text.split('\n\n').filter((b) => b.includes('event: append'));
        if (events.length >= count) {
          req.destroy();
          resolve(events.map((b) => ({ id: Number(/^id: (\d+)$/m.exec(b)![1]), rows: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) })));
        }
      });
    });
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
  });
  return { done, text: () => text };
}

describe('the live stream', () => {
  it('given a follower, when batches are appended, then each arrives as rows, secrets by name only, and a reconnect with Last-Event-ID gets what it missed', async () => {
    const first = follow({}, 2);
    await new Promise((r) => setTimeout(r, 200)); // subscribed
    await store.append([{ type: 'HostFactsObserved', source: 'host', data: { facts: { HOST_IP: '10.0.0.9' }, changed: ['HOST_IP'] } }]);
    await store.append([{ type: 'SecretObserved', source: 'secrets', data: { name: 'rpc-password', hash: 'f'.repeat(64) } }]);
    const got = await first.done;
    expect(got.map((g) => g.rows.map((r) => r.type))).toEqual([['HostFactsObserved'], ['SecretObserved']]);
    expect(got[1]!.rows[0]!.summary).toBe('rpc-password (secret changed)');
    expect(first.text()).not.toContain('ffffffffffff');

    // missed while away: two more; the reconnect says the last id it saw
    const lastSeen = got[1]!.id;
    await store.append([{ type: 'SecretRemoved', source: 'secrets', data: { name: 'rpc-password' } }]);
    await store.append([{ type: 'HostFactsObserved', source: 'host', data: { facts: { HOST_IP: '10.0.0.5' }, changed: ['HOST_IP'] } }]);
    const again = await follow({ 'last-event-id': String(lastSeen) }, 1).done;
    expect(again[0]!.rows.map((r) => r.seq)).toEqual([lastSeen + 1, lastSeen + 2]);
    expect(again[0]!.id).toBe(lastSeen + 2);
  });
});
