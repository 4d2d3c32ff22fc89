// `podledger ui` as a user runs it: the URL printed, loopback by default, a free port for 0, a clean
// stop on SIGTERM and SIGINT; a bad address is a usage error (2), a missing or wrong log is refused
// (1) before anything listens, in the words of the other offline commands.
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, startCli, type TempDir } from '../../support/cli.js';

const temps: TempDir[] = [];

/** GET with a Host header of our choosing (fetch sets its own). */
function statusFor(url: string, path: string, host: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: Number(u.port), path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

describe('podledger ui', () => {
  it('given --log and no --http, when started, then it prints a loopback URL on a free port that serves the page and the API, and SIGTERM stops it with exit 0', async () => {
    const ui = startCli(['ui', '--log', 'events/host-ip-change.ndjson']);
    const line = await ui.waitForOutput(/podledger ui: serving events\/host-ip-change\.ndjson read-only at http:\/\/127\.0\.0\.1:\d+\//, { timeoutMs: 20_000 });
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/ui/app.js">');
    expect(html).not.toMatch(/https?:\/\//); // nothing fetched from elsewhere
    const js = await fetch(new URL('/ui/app.js', url));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(await (await fetch(new URL('/api/node', url))).json()).toEqual({ live: false, origin: 'events/host-ip-change.ndjson', seq: 23 });
    const missing = await fetch(new URL('/healthz', url));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('not found: this listener serves the web UI (/, /api/…)\n');
    // a request for another host name (a page elsewhere, by DNS rebinding) is refused; localhost is not
    for (const [host, status] of [['evil.example', 403], [`evil.example:${new URL(url).port}`, 403], ['localhost', 200], [new URL(url).host, 200]] as const) {
      for (const path of ['/', '/api/now', '/api/stream']) expect(await statusFor(url, path, host), `${path} Host: ${host}`).toBe(path === '/api/stream' && status === 200 ? 204 : status);
    }
    const bad = await fetch(new URL('/api/events?kind=nonsense', url));
    expect(bad.status).toBe(400);
    expect((await bad.json() as { error: string }).error).toMatch(/kind: unknown nonsense; known are boot, observation/);
    expect(await ui.stop()).toBe(0);
  });

  it('given SIGINT, when it serves, then it stops with exit 0', async () => {
    const ui = startCli(['ui', '--log', 'events/crash-loop.ndjson', '--http', '127.0.0.1:0']);
    await ui.waitForOutput('read-only at http://127.0.0.1:', { timeoutMs: 20_000 });
    process.kill(ui.pid, 'SIGINT');
    await expect.poll(() => ui.exitCode(), { timeout: 10_000 }).toBe(0);
  });

  it('given a bad --http, then exit 2 saying what it must be', async () => {
    const r = await runCli(['ui', '--log', 'events/crash-loop.ndjson', '--http', 'example.com:80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'example\.com' is not an IP address/);
  });

  it('given a missing --log, a file that is not a log, or a --data without one, then exit 1 naming it, before listening', async () => {
    const tmp = await makeTempDir('podledger-ui-cmd-');
    temps.push(tmp);
    const notLog = join(tmp.path, 'notes.txt');
    await writeFile(notLog, 'hello\nworld\n');
    for (const [args, message] of [
      [['--log', join(tmp.path, 'nope.ndjson')], /read event log: --log .*nope\.ndjson: (does not exist|no such file)/],
      [['--log', notLog], /read event log: --log .*notes\.txt/],
      [['--data', tmp.path], /no podledger data here/],
    ] as const) {
      const r = await runCli(['ui', ...args, '--http', '127.0.0.1:0'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toContain('serving');
    }
  });
});
