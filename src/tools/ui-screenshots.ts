/// <reference lib="dom" />
// `node dist/tools/ui-screenshots.js`: the screenshots of docs/ui.md (docs/ui/*.png), taken in
// headless chromium from `podledger ui` over captured logs in events/, so they show what the page
// shows today. Run after `npm run build`.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}docs/ui/`;

function serve(log: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['bin/podledger.js', 'ui', '--log', log, '--http', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      const url = /(http:\/\/\S+)/.exec(text)?.[1];
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`podledger ui exited ${code}: ${text}`)));
  });
}

async function open(page: Page, url: string, view: string): Promise<void> {
  await page.goto(`${url}#${view}`);
  await page.waitForSelector('body[data-ready=true]');
}

const browser = await chromium.launch({ executablePath: process.env.PODLEDGER_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
await mkdir(out, { recursive: true });
const hostIp = await serve('events/host-ip-change.ndjson');
const crashLoop = await serve('events/crash-loop.ndjson');
try {
  for (const scheme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: scheme });
    const suffix = scheme === 'dark' ? '-dark' : '';
    await open(page, crashLoop.url, 'now');
    await page.screenshot({ path: `${out}now${suffix}.png` });
    await open(page, hostIp.url, 'timeline');
    await page.screenshot({ path: `${out}timeline${suffix}.png` });
    await page.locator('button.row.has-why', { hasText: 'recreate' }).first().click();
    await page.waitForSelector('dialog#detail[open] ol.graph');
    await page.screenshot({ path: `${out}why${suffix}.png` });
    await page.keyboard.press('Escape');
    await open(page, hostIp.url, 'diff');
    await page.fill('#diff-a', '16');
    await page.fill('#diff-b', '23');
    await page.click('#diff-form button[type=submit]');
    await page.waitForSelector('#diff-out table');
    await page.screenshot({ path: `${out}diff${suffix}.png` });
    await page.close();
  }
} finally {
  await browser.close();
  hostIp.stop();
  crashLoop.stop();
}
process.stdout.write(`wrote the screenshots to ${out}\n`);
