// The web UI in a real headless chromium over captured logs (`podledger ui --log`): the fedimint
// recreate of the host-IP-change log found on the timeline and its why opened; two boots diffed;
// the timeline used by keyboard alone. Needs the built CLI (dist/) and /usr/bin/chromium.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startUi } from '../../support/browser.js';

let browser: Browser;
/** one `podledger ui` per log, shared by the tests that read it */
const servers = new Map<string, Promise<{ url: string; process: { stop(): Promise<number> } }>>();

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([...servers.values()].map(async (s) => (await s).process.stop()));
});

async function open(log: string, view: string): Promise<Page> {
  if (!servers.has(log)) servers.set(log, startUi(['--log', log]));
  const ui = (await servers.get(log))!;
  const page = await browser.newPage();
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('request', (r) => { if (!r.url().startsWith(ui.url)) failed.push(`external: ${r.url()}`); });
  await page.goto(`${ui.url}#${view}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
  expect(failed).toEqual([]);
  return page;
}

describe('podledger ui --log (offline)', () => {
  it('given the host-IP-change log, when the fedimint recreate is opened from the timeline, then its why shows the field, both values and the HOST_IP observation', async () => {
    const page = await open('events/host-ip-change.ndjson', 'timeline');
    // when: the user narrows the timeline to fedimint's actions and opens the recreate
    await page.selectOption('#f-app', 'fedimint');
    await page.getByLabel('Search').fill('recreate');
    const recreate = page.locator('button.row.has-why', { hasText: 'recreate' }).first();
    await expect.poll(() => recreate.count()).toBe(1);
    expect(await recreate.textContent()).toContain('fedimint');
    await recreate.click();
    // then: the dialog explains it as `podledger why fedimint` does
    const dialog = page.locator('dialog#detail');
    await dialog.waitFor({ state: 'visible' });
    const text = await dialog.innerText();
    expect(text).toContain('recreate fedimint');
    expect(text).toContain('env.FM_P2P_URL');
    expect(text).toContain('fedimint://10.0.0.5:8173');
    expect(text).toContain('fedimint://10.0.0.9:8173');
    const observation = dialog.locator('ol.graph li.node', { hasText: 'HostFactsObserved' });
    expect(await observation.count()).toBe(1);
    const obsText = await observation.innerText();
    expect(obsText).toContain('HOST_IP');
    expect(obsText).toMatch(/10\.0\.0\.5[\s\S]*→[\s\S]*10\.0\.0\.9/);
    expect(obsText).toContain('#17');
  });

  it('given a log of two boots, when boot:1 and boot:2 are compared, then the container the second boot found is shown as changed', async () => {
    const page = await open('events/drift-fixed.ndjson', 'diff');
    await page.getByLabel('From', { exact: true }).fill('boot:1');
    await page.getByLabel('To', { exact: true }).fill('boot:2');
    await page.getByRole('button', { name: 'Compare' }).click();
    const row = page.locator('#diff-out tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.first().locator('td').allInnerTexts();
    expect(cells[0]).toBe('forged');
    expect(cells[1]).toBe('observed.container');
    expect(cells[2]).toContain('19d391d0a3a2');
    expect(cells[3]).toContain('106b4de7e8fd');
    expect(await page.locator('#diff-out [role=status]').innerText()).toContain('from boot:1 (#18) to boot:2 (#28)');
  });

  it('given a bad point, when compared, then the page says what is wrong', async () => {
    const page = await open('events/drift-fixed.ndjson', 'diff');
    await page.getByLabel('From', { exact: true }).fill('boot:9');
    await page.getByRole('button', { name: 'Compare' }).click();
    await expect.poll(() => page.locator('#diff-out [role=alert]').textContent()).toContain('no boot 9');
  });

  it('given the timeline, when used by keyboard alone, then rows are reachable with the arrow keys and Enter opens the why', async () => {
    const page = await open('events/host-ip-change.ndjson', 'timeline');
    // the views are tabs with names a screen reader reads; the list and every row have labels
    expect(await page.getByRole('tab', { name: 'Timeline' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#rows').getAttribute('aria-label')).toBe('Events, newest first');
    const rows = page.locator('button.row');
    expect(await rows.count()).toBe(23);
    for (const label of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))) expect(label).toMatch(/^#\d+, /);
    // when: the first row takes the focus and ArrowDown walks to the recreate (#19 is the 5th newest)
    await rows.first().focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-seq'))).toBe('19');
    await page.keyboard.press('Enter');
    // then: the why dialog opens, and Escape closes it
    const dialog = page.locator('dialog#detail');
    await dialog.waitFor({ state: 'visible' });
    expect(await page.locator('#detail-title').innerText()).toBe('Why #19 recreate fedimint');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // and the severity is said in words, not by colour alone
    expect(await rows.first().locator('.sev').innerText()).toMatch(/info|warning|error/);
  });

  it('given the Now view, then every app shows its state, converged or not in words', async () => {
    const page = await open('events/host-ip-change.ndjson', 'now');
    const apps = await page.locator('#now-body tbody th').allInnerTexts();
    expect(apps).toEqual(['bitcoind', 'electrs', 'fedimint']);
    const fedimint = page.locator('#now-body tr[data-app=fedimint]');
    expect(await fedimint.innerText()).toContain('✓ converged');
    expect(await fedimint.locator('[data-col=state]').innerText()).toContain('running');
    expect(await page.locator('#node-line').innerText()).toContain('read-only: the captured log events/host-ip-change.ndjson');
    // and each app's last action opens its why
    await fedimint.getByRole('button', { name: /why fedimint's container/ }).click();
    await expect.poll(() => page.locator('#detail-title').innerText()).toBe('Why #19 recreate fedimint');
  });

  it('given the timeline, when filtered by severity and kind and zoomed to a second, then only the matching events of that window remain', async () => {
    const page = await open('events/host-ip-change.ndjson', 'timeline');
    const seqs = () => page.locator('button.row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    // warnings and errors: the one exit (exit 0 of the replaced container is a warning)
    await page.selectOption('#f-severity', 'warning');
    await expect.poll(seqs).toEqual([20]);
    await page.selectOption('#f-severity', '');
    // plans only
    for (const kind of ['boot', 'observation', 'action', 'outcome']) await page.locator(`input[name=kind][value=${kind}]`).uncheck();
    await expect.poll(seqs).toEqual([22, 18, 16, 9, 6]);
    for (const kind of ['boot', 'observation', 'action', 'outcome']) await page.locator(`input[name=kind][value=${kind}]`).check();
    // a second back from the log's end (#23 at 10:14:01.830): #20–#23 (#19 is at 10:14:00.807)
    await page.selectOption('#f-zoom', { label: 'second' });
    await expect.poll(seqs).toEqual([23, 22, 21, 20]);
    expect(await page.locator('#tl-count').innerText()).toContain('zoom: second');
    // zoom out (the − button) to a minute: everything again
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await expect.poll(async () => (await seqs()).length).toBe(23);
  });
});
