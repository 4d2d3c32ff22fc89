// The web UI of a live daemon (`daemon --http`) on a real podman, in headless chromium: a container
// killed with podman shows up as its exit and then its restart, on the timeline and in Now, with no
// reload (the page's server-sent events follow the log).
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../support/apps.js';
import { launchBrowser } from '../support/browser.js';
import { makeTempDir, startDaemon, type Daemon, type TempDir } from '../support/cli.js';
import { podmanEnv, podmanOk, removeContainers, running, waitFor } from '../support/podman.js';

const PREFIX = `ui${process.pid}`;

describe('web UI of a live daemon', () => {
  let tmp: TempDir;
  let daemon: Daemon | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-ui-live');
    await writeBusyboxApp(join(tmp.path, 'apps'), PREFIX, 'web');
  });

  afterAll(async () => {
    await browser?.close();
    if (daemon) await daemon.stop();
    await removeContainers(`${PREFIX}-`);
    await tmp?.cleanup();
  });

  it('given the page open on a converged daemon, when its container is killed with podman, then the exit and the restart appear without a reload', async () => {
    daemon = startDaemon({ apps: join(tmp.path, 'apps'), data: join(tmp.path, 'data'), socket: podmanEnv().socket, extraArgs: ['--resync', '1', '--http', '127.0.0.1:0'] });
    const line = await daemon.waitForOutput(/web UI, health and metrics listening\S*\s*\S*127\.0\.0\.1:\d+/, { timeoutMs: 30_000 });
    const url = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(line)![1]}/`;
    const first = await waitFor(() => running(`${PREFIX}-web`), { timeoutMs: 90_000, what: 'web running' });

    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`${url}#timeline`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
    await expect.poll(() => page.locator('#live').innerText(), { timeout: 10_000 }).toBe('live: following the log');
    expect(await page.locator('#node-line').innerText()).toMatch(/^daemon running, boot 1, pid \d+, .*podman reachable/);
    await page.evaluate(() => { (window as unknown as { marker: string }).marker = 'same page'; });

    // when: podman kills the container under the daemon
    await podmanOk(['kill', `${PREFIX}-web`]);

    // then: its exit, and after it the container started again, arrive on the open page
    const exit = page.locator('button.row', { hasText: 'ContainerExited' }).filter({ hasText: 'web' });
    await expect.poll(() => exit.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await exit.first().innerText()).toMatch(/exit 137/);
    const exitSeq = Number(await exit.first().getAttribute('data-seq'));
    // the restart: the daemon's start of web succeeded after the exit (its ActionSucceeded: start → the container)
    const restarted = async () => {
      const seqs = await page.locator('button.row.kind-outcome', { hasText: 'ActionSucceeded' }).filter({ hasText: /start → [0-9a-f]{12}/ })
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
      return seqs.some((s) => s > exitSeq);
    };
    await expect.poll(restarted, { timeout: 60_000 }).toBe(true);
    const start = page.locator('button.row.has-why', { hasText: 'start: container-exited' });
    expect(await start.count()).toBe(1);
    // and Now counts the restart, still on the same page (never reloaded)
    await page.getByRole('tab', { name: 'Now' }).click();
    await expect.poll(() => page.locator('#now-body tr[data-app=web] [data-col=restarts]').innerText(), { timeout: 15_000 }).not.toBe('0');
    expect(await page.locator('#now-body tr[data-app=web] [data-col=state]').innerText()).toMatch(/last exit 137/);
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    const again = await running(`${PREFIX}-web`);
    expect(again?.Id).toBe(first.Id); // restarted in place, as the log says
  });
});
