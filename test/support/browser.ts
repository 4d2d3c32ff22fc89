// A real headless browser for the web UI's tests: Debian's chromium (scripts/setup.sh installs it),
// driven by playwright-core. Runs as root in CI, hence --no-sandbox.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startCli, type Daemon } from './cli.js';

export const CHROMIUM = process.env.PODLEDGER_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run scripts/setup.sh (it installs Debian's chromium), or set PODLEDGER_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** `podledger ui ARGS --http 127.0.0.1:0`, once it prints its URL. */
export async function startUi(args: string[]): Promise<{ url: string; process: Daemon }> {
  const ui = startCli(['ui', ...args, '--http', '127.0.0.1:0']);
  const line = await ui.waitForOutput(/read-only at (http:\/\/\S+)/, { timeoutMs: 20_000 });
  return { url: /(http:\/\/\S+)/.exec(line)![1]!, process: ui };
}
