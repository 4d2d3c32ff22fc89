// /healthz, /readyz and /metrics on the control socket and on the --http listener, and what --http accepts.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialState } from '../../../src/core/state.js';
import { controlSocketPath, serveControl } from '../../../src/daemon/control.js';
import { healthRoutes, isLoopback, parseHttpAddress, serveHttp } from '../../../src/daemon/health-http.js';
import { createLogger } from '../../../src/daemon/logger.js';
import { createMetrics } from '../../../src/daemon/metrics.js';
import { EventStore } from '../../../src/log/store.js';
import { parseMetrics, sampleValue } from '../../support/prometheus.js';

type Target = { socketPath: string } | { host: string; port: number };

function get(at: Target, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...at, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe('--http address', () => {
  it.each([
    ['9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['localhost:80', { host: '127.0.0.1', port: 80 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }], // written out: the user's choice, and the daemon says so
    ['192.168.1.5:0', { host: '192.168.1.5', port: 0 }],
  ])('given %s, when parsed, then it is %o', (value, at) => {
    expect(parseHttpAddress(value)).toEqual(at);
  });

  it.each(['', 'abc', '70000', 'node.local:9464', '::1:9464', '1.2.3:80', '[127.0.0.1]:80', '127.0.0.1:', ':80'])('given %j, when parsed, then it is refused with what to write', (value) => {
    expect(parseHttpAddress(value)).toMatch(/must be PORT|is not an IP address/);
  });

  it('given addresses, when asked whether loopback, then only 127/8 and ::1 are', () => {
    expect(['127.0.0.1', '127.8.0.1', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.5'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});

let store: EventStore;
const ready = { reasons: ['podman does not answer at /run/podman/podman.sock', 'no decision taken yet'] };
const metrics = await createMetrics({ state: () => initialState, podmanReachable: () => ready.reasons.length === 0, lastResyncAt: () => undefined, seq: () => store.lastSeq });

describe('health routes', () => {
  let dir = '';
  const closers: (() => Promise<void>)[] = [];
  const routes = healthRoutes({ metrics, notReady: () => ready.reasons });
  const lines: string[] = [];
  const out = new PassThrough().on('data', (c: Buffer) => lines.push(c.toString()));
  const log = createLogger({ out, journal: false });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-health-'));
    store = await EventStore.open(dir);
    ready.reasons = ['podman does not answer at /run/podman/podman.sock', 'no decision taken yet'];
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function targets(): Promise<[string, Target][]> {
    const control = await serveControl(dir, store, () => initialState, undefined, routes);
    closers.push(() => control.close());
    const tcp = await serveHttp({ host: '127.0.0.1', port: 0 }, routes, log);
    closers.push(() => tcp.close());
    const [host, port] = [tcp.address.slice(0, tcp.address.lastIndexOf(':')), Number(tcp.address.slice(tcp.address.lastIndexOf(':') + 1))];
    return [['control socket', { socketPath: controlSocketPath(dir) }], ['--http', { host, port }]];
  }

  it('given a daemon not ready yet, when probed on the control socket and on --http, then healthz is 200 and readyz 503 with every reason; once ready, readyz is 200', async () => {
    for (const [where, at] of await targets()) {
      expect(await get(at, '/healthz'), where).toEqual({ status: 200, body: 'ok\n' });
      expect(await get(at, '/readyz'), where).toEqual({ status: 503, body: 'not ready: podman does not answer at /run/podman/podman.sock; no decision taken yet\n' });
    }
    ready.reasons = [];
    for (const [where, at] of await targets()) expect(await get(at, '/readyz'), where).toEqual({ status: 200, body: 'ready\n' });
  });

  it('given both listeners, when /metrics is scraped, then each answers Prometheus text a parser reads', async () => {
    await store.append([{ type: 'BootStopped', source: 'reconciler', data: { reason: 'test' } }]);
    for (const [where, at] of await targets()) {
      const r = await get(at, '/metrics');
      expect(r.status, where).toBe(200);
      const f = parseMetrics(r.body);
      expect(sampleValue(f, 'podledger_log_seq'), where).toBe(1);
      expect(sampleValue(f, 'podledger_podman_reachable'), where).toBe(0);
      expect(f.has('podledger_append_duration_seconds') && f.has('podledger_plan_duration_seconds'), where).toBe(true);
    }
  });

  it('given the --http listener, when asked for the log, the state or with another method, then it refuses: only health and metrics go over TCP', async () => {
    const [, [, tcp]] = await targets() as [[string, Target], [string, Target]];
    for (const path of ['/state', '/events', '/daemon', '/compaction']) expect((await get(tcp, path)).status, path).toBe(404);
    expect((await get(tcp, '/healthz', 'POST')).status).toBe(405);
    expect(lines.join('')).toMatch(/msg="health and metrics listening" http=127\.0\.0\.1:\d+/);
  });

  it('given an address in use, when --http listens there, then the start fails saying which address and what to do', async () => {
    const first = await serveHttp({ host: '127.0.0.1', port: 0 }, routes, log);
    closers.push(() => first.close());
    const port = Number(first.address.split(':').at(-1));
    await expect(serveHttp({ host: '127.0.0.1', port }, routes, log)).rejects.toThrow(new RegExp(`daemon --http 127\\.0\\.0\\.1:${port}: cannot listen: .*EADDRINUSE.*; fix: choose another address or port`));
  });

  it('given a non-loopback address written out, when listening, then the daemon warns that it is reachable beyond this host', async () => {
    const wide = await serveHttp({ host: '0.0.0.0', port: 0 }, routes, log);
    closers.push(() => wide.close());
    expect(lines.join('')).toMatch(/level=warn msg="health and metrics listening beyond loopback, as --http asks/);
  });

  it('given more routes handed in (the web UI, as the cli does), when listening, then they are served beside health, the 404 names both, and the log line gives the URL', async () => {
    const page: typeof routes = (req, res) => {
      if (req.url !== '/') return false;
      res.end('page');
      return true;
    };
    const served = { paths: '/healthz, /readyz, /metrics and the web UI (/, /api/…)', what: 'web UI, health and metrics', command: 'daemon --http' };
    const both = await serveHttp({ host: '127.0.0.1', port: 0 }, (req, res) => routes(req, res) || page(req, res), log, served);
    closers.push(() => both.close());
    const [host, port] = [both.address.slice(0, both.address.lastIndexOf(':')), Number(both.address.split(':').at(-1))];
    expect(await get({ host, port }, '/')).toEqual({ status: 200, body: 'page' });
    expect((await get({ host, port }, '/healthz')).status).toBe(200);
    expect(await get({ host, port }, '/nope')).toEqual({ status: 404, body: 'not found: this listener serves /healthz, /readyz, /metrics and the web UI (/, /api/…)\n' });
    expect(lines.join('')).toContain(`msg="web UI, health and metrics listening" http=${both.address} url=http://${both.address}/`);
  });
});
