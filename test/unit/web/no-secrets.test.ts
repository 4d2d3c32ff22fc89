// No secret's hash (nor a prefix of one), no node key, ever reaches the page: every API route, the
// HTML, the script and the style, fetched for a log whose secrets rotate, both as an export (--log)
// and as a node's data imported from it (--data, read through the store's indexes).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type TempDir } from '../../support/cli.js';
import { startUi } from '../../support/browser.js';

const LOG = 'events/secret-rotation.ndjson';
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => { await Promise.all(stops.map((s) => s())); });

async function secretHashes(): Promise<string[]> {
  const lines = (await readFile(LOG, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: { hash?: string } });
  return lines.filter((e) => e.type === 'SecretObserved').map((e) => e.data.hash!);
}

/** Every route the page uses, with every seq, app and boot the log holds. */
async function crawl(url: string): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  const get = async (path: string) => {
    const res = await fetch(new URL(path, url));
    const text = await res.text();
    bodies.set(path, text);
    return { status: res.status, text };
  };
  for (const p of ['/', '/ui/app.js', '/ui/style.css', '/api/node', '/api/now', '/api/stream', '/api/events?q=secret', '/api/events?kind=observation']) await get(p);
  const boots = JSON.parse((await get('/api/boots')).text) as { lastSeq: number; apps: string[]; boots: { boot: number }[] };
  const page = JSON.parse((await get('/api/events?limit=1000')).text) as { rows: { seq: number; app: string | null; why: boolean }[] };
  expect(page.rows.length).toBe(boots.lastSeq);
  for (const r of page.rows) {
    expect((await get(`/api/event?seq=${r.seq}`)).status).toBe(200);
    if (r.why) expect((await get(`/api/why?app=${r.app}&seq=${r.seq}`)).status).toBe(200);
    await get(`/api/diff?a=0&b=${r.seq}`);
    if (r.seq > 1) await get(`/api/diff?a=${r.seq - 1}&b=${r.seq}`);
  }
  for (const app of boots.apps) await get(`/api/why?app=${app}`);
  for (const b of boots.boots) await get(`/api/diff?a=0&b=boot:${b.boot}`);
  return bodies;
}

function assertNoSecrets(bodies: Map<string, string>, secrets: string[]): void {
  for (const [path, body] of bodies) {
    for (const s of secrets) {
      expect(body, `${path} shows a secret hash`).not.toContain(s.slice(0, 12));
    }
  }
}

describe('no secret reaches the page', () => {
  it('given an export whose secret rotates, when every route is fetched, then no secret hash or prefix appears, yet the rotation is told', async () => {
    const secrets = await secretHashes();
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    const ui = await startUi(['--log', LOG]);
    stops.push(() => ui.process.stop());
    const bodies = await crawl(ui.url);
    assertNoSecrets(bodies, secrets);
    // the page still says a secret changed, by name
    const why = [...bodies.entries()].find(([p, b]) => p.startsWith('/api/why?app=vault') && b.includes('secretEnv.RPC_PASSWORD'));
    expect(why?.[1]).toContain('(secret changed)');
    expect(bodies.get('/api/events?q=secret')).toContain('rpc-password (secret changed)');
  });

  it('given a node data dir imported from it, when every route is fetched, then neither a secret hash nor the node key appears', async () => {
    const dir: TempDir = await makeTempDir('podledger-ui-secrets-');
    stops.push(() => dir.cleanup());
    const data = join(dir.path, 'data');
    const imported = await runCli(['import', LOG, '--data', data]);
    expect(imported.code, imported.stderr).toBe(0);
    const ui = await startUi(['--data', data]);
    stops.push(() => ui.process.stop());
    const bodies = await crawl(ui.url);
    const secrets = await secretHashes();
    const key = existsSync(join(data, 'node.key')) ? await readFile(join(data, 'node.key')) : undefined;
    if (key) secrets.push(key.toString('hex'), key.toString('base64'));
    assertNoSecrets(bodies, secrets);
  });
});
