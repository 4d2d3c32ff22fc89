// `podledger ui`: the web UI over a captured log (--log FILE.ndjson) or a stopped node's data
// (--data DIR), read-only, on a loopback port unless told otherwise; `daemon --http` serves the same
// page live. Stops on SIGINT/SIGTERM.
import { createLogger } from '../daemon/logger.js';
import { serveHttp, type HttpAddress, type Served } from '../daemon/health-http.js';
import { liveSource, readOnlySource } from '../web/source.js';
import { webRoutes } from '../web/server.js';
import type { DaemonOptions } from '../daemon/daemon.js';
import { out } from './output.js';
import { openLog } from './source.js';

export const DEFAULT_UI_ADDRESS: HttpAddress = { host: '127.0.0.1', port: 0 };

/** What `daemon --http` serves besides health and metrics: the live UI. */
export const DAEMON_WEB: NonNullable<DaemonOptions['web']> = {
  routes: (live) => webRoutes(liveSource(live)),
  served: { paths: '/healthz, /readyz, /metrics and the web UI (/, /api/…)', what: 'web UI, health and metrics', command: 'daemon --http' },
};

const UI_SERVED: Served = { paths: 'the web UI (/, /api/…)', what: 'web UI', command: 'ui --http' };

export const urlOf = (address: string): string => `http://${address.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/`;

export async function ui(o: { data: string; log?: string; http?: HttpAddress }): Promise<void> {
  // caught before the URL is printed: whoever reads it may stop us at once, and must not meet the default (a kill)
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve()).once('SIGTERM', () => resolve());
  });
  const opened = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}) });
  try {
    const source = readOnlySource(opened);
    // An export is read whole once anyway: read it now, so a file that is not a log fails here, not in the browser.
    if (o.log) await source.state();
    const log = createLogger({ level: 'warn', format: 'text' });
    const listener = await serveHttp(o.http ?? DEFAULT_UI_ADDRESS, webRoutes(source), log, UI_SERVED);
    out(`podledger ui: serving ${opened.origin} read-only at ${urlOf(listener.address)}`);
    await stopped;
    await listener.close();
  } finally {
    await opened.close();
  }
}
