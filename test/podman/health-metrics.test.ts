// Health and metrics of a daemon on a real podman: not ready while podman does not answer; ready once
// the first decision is taken; /metrics shows its apps up and healthy. On the control socket and on
// --http alike; the daemon's lines parse as logfmt (default) or as JSON objects (--log-format json).
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../../src/daemon/control.js';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { parseLogfmt } from '../support/logfmt.js';
import { podmanEnv, removeContainers, waitFor } from '../support/podman.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';

const PREFIX = `hm${process.pid}`;

type Target = { socketPath: string } | { host: string; port: number };

function get(at: Target, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ ...at, path, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** The --http port the daemon reports listening on (it was given port 0). */
async function httpTarget(d: Daemon): Promise<Target> {
  const line = await d.waitForOutput(/health and metrics listening\S*\s*\S*127\.0\.0\.1:\d+/, { timeoutMs: 30_000 });
  return { host: '127.0.0.1', port: Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]) };
}

describe('health and metrics on a real podman', () => {
  let tmp: TempDir;
  let apps: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-health');
    apps = join(tmp.path, 'apps');
    await writeBusyboxApp(apps, PREFIX, 'web', '  health_check: { type: exec, command: [/bin/true], interval: 1s, timeout: 2s, retries: 1 }\n');
  });

  afterAll(async () => {
    if (daemon) await daemon.stop();
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given a daemon whose podman does not answer, when probed, then it is alive but not ready, and says why, on both listeners; its lines are logfmt', async () => {
    const data = join(tmp.path, 'nopodman');
    const d = startDaemon({ apps, data, socket: join(tmp.path, 'no-podman.sock'), extraArgs: ['--http', '0'] });
    try {
      const tcp = await httpTarget(d);
      await d.waitForOutput('cannot reach podman', { timeoutMs: 30_000 });
      for (const at of [{ socketPath: controlSocketPath(data) }, tcp]) {
        expect(await get(at, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
        const ready = await get(at, '/readyz');
        expect(ready.status).toBe(503);
        expect(ready.body).toMatch(/^not ready: podman does not answer at .*no-podman\.sock; no decision taken yet/);
        expect(sampleValue(parseMetrics((await get(at, '/metrics')).body), 'podledger_podman_reachable')).toBe(0);
      }
    } finally {
      expect(await d.stop()).toBe(0);
    }
    const lines = d.output().split('\n').filter(Boolean);
    const parsed = lines.map((l) => parseLogfmt(l));
    expect(parsed.every((p) => p.time && p.level && p.msg)).toBe(true);
    expect(parsed.find((p) => p.msg?.startsWith('cannot reach podman'))?.level).toBe('warn');
  });

  it('given a daemon on podman, when it starts, then readyz turns 200 once the first decision is taken and /metrics shows the app up and healthy', async () => {
    const data = join(tmp.path, 'data');
    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, extraArgs: ['--resync', '1', '--http', '0', '--log-format', 'json'] });
    const tcp = await httpTarget(daemon);
    const control = { socketPath: controlSocketPath(data) };
    await waitFor(async () => (await get(tcp, '/readyz')).status === 200, { timeoutMs: 60_000, intervalMs: 50, what: 'readyz 200' });
    await daemon.waitForOutput('"msg":"daemon ready: first plan decided"', { timeoutMs: 5_000 }); // readiness follows the first decision (its line may trail the HTTP answer)
    expect(await get(control, '/readyz')).toEqual({ status: 200, body: 'ready\n' });

    const f = await waitFor(async () => {
      const m = parseMetrics((await get(tcp, '/metrics')).body);
      return sampleValue(m, 'podledger_app_healthy', { app: 'web' }) === 1 ? m : undefined;
    }, { timeoutMs: 60_000, what: 'web up and healthy in /metrics' });
    expect(sampleValue(f, 'podledger_app_up', { app: 'web' })).toBe(1);
    expect(sampleValue(f, 'podledger_app_rejected', { app: 'web' })).toBe(0);
    expect(sampleValue(f, 'podledger_app_in_backoff', { app: 'web' })).toBe(0);
    expect(sampleValue(f, 'podledger_podman_reachable')).toBe(1);
    expect(sampleValue(f, 'podledger_log_seq')).toBeGreaterThan(1);
    expect(sampleValue(f, 'podledger_last_resync_age_seconds')).toBeLessThan(30);
    expect(Number(f.get('podledger_plan_duration_seconds')!.metrics[0]!.count)).toBeGreaterThanOrEqual(1);
    expect(Number(f.get('podledger_append_duration_seconds')!.metrics[0]!.count)).toBeGreaterThanOrEqual(1);
    const viaSocket = parseMetrics((await get(control, '/metrics')).body);
    expect(sampleValue(viaSocket, 'podledger_app_up', { app: 'web' })).toBe(1);

    const records = daemon.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.every((r) => typeof r.time === 'string' && typeof r.level === 'string' && typeof r.msg === 'string')).toBe(true);
  });
});
