/// <reference lib="dom" />
// The web UI on the scale bench's 1M-event store, as a user meets it: `podledger ui --data` in a
// process of its own, and headless chromium. First paint (navigation until the timeline's first rows
// are on screen) and a scroll (the next page fetched and shown), each beside a raw read of the same
// page of events in the same run. Optional: without chromium it says so and adds no rows.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventStore } from '../log/store.js';
import type { BenchRow } from './types.js';

const CHROMIUM = process.env.PODLEDGER_CHROMIUM ?? '/usr/bin/chromium';
const CLI = fileURLToPath(new URL('../../bin/podledger.js', import.meta.url));
const PAGE = 200;

const ms = (n: number) => Number(n.toFixed(1));
const row = (name: string, value: number, baseline: { name: string; value: number }): BenchRow =>
  ({ name, value: ms(value), unit: 'ms', baseline: { ...baseline, value: ms(baseline.value) }, ratio: Number((value / baseline.value).toPrecision(3)) });

/** The newest page and the next one, read raw from the store (what the timeline's two requests read). */
async function rawPages(dir: string): Promise<[number, number]> {
  const store = await EventStore.open(dir);
  try {
    const read = async (until: number) => {
      const start = performance.now();
      let count = 0;
      for await (const item of store.read({ reverse: true, since: until - PAGE, until })) if (++count >= PAGE || !item.ok) break;
      return performance.now() - start;
    };
    await read(store.lastSeq - 10 * PAGE); // the first read of a freshly opened store pays for opening its files
    return [await read(store.lastSeq), await read(store.lastSeq - PAGE)];
  } finally {
    await store.close();
  }
}

function startUi(dir: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [CLI, 'ui', '--data', dir, '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /(http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`podledger ui exited ${code}: ${out}`)));
  });
}

export async function benchUi(dir: string, label: string): Promise<BenchRow[]> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`bench: ui: skipped: no chromium at ${CHROMIUM} (scripts/setup.sh installs it)\n`);
    return [];
  }
  const { chromium } = await import('playwright-core');
  const [raw, rawNext] = await rawPages(dir);
  const ui = await startUi(dir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    // the browser warmed up as a user's is (its first navigation starts its network service), on a file of no interest
    await page.goto(`${ui.url}ui/favicon.svg`);
    await page.goto(`${ui.url}#timeline`);
    await page.waitForFunction(() => performance.getEntriesByName('podledger:first-rows').length > 0, undefined, { timeout: 60_000 });
    const paint = await page.evaluate(() => performance.getEntriesByName('podledger:first-rows')[0]!.startTime);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    // a scroll to the list's end: the next (older) page is read and shown
    const scroll = await page.evaluate(async () => {
      const rows = () => document.querySelectorAll('button.row').length;
      const before = rows();
      const start = performance.now();
      document.querySelector('#more')!.scrollIntoView();
      while (rows() <= before) await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - start;
    });
    return [
      row(`ui first paint: navigate → first ${PAGE} timeline rows on screen (podledger ui --data, ${label}-event store)`, paint, { name: `raw read of the newest ${PAGE} events`, value: raw }),
      row(`ui timeline scroll: next ${PAGE} rows fetched and shown (${label}-event store)`, scroll, { name: `raw read of the next ${PAGE} events`, value: rawNext }),
    ];
  } finally {
    await browser.close();
    ui.stop();
  }
}
