// Health and metrics, served on the control socket and, with `daemon --http [ADDR:]PORT`, on a TCP
// listener of their own: GET /healthz (200 while the process serves), /readyz (200 once podman answers
// and the first decision is taken, else 503 and why), /metrics (Prometheus text). The TCP listener
// serves these three and the routes it is handed (the web UI's, read-only: src/web), never the control
// socket's, and binds to loopback unless an address is written out: exposing it to the network is a
// choice the command line must show.
import http from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface HealthSources {
  /** why the daemon is not ready; empty when it is */
  notReady(): string[];
  metrics: Metrics;
}

/** Handles a health route; false for any other path (the caller serves it, or answers 404). */
export type Routes = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export function healthRoutes(h: HealthSources): Routes {
  const text = (res: http.ServerResponse, status: number, body: string) => {
    res.statusCode = status;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(body);
  };
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://daemon');
    if (pathname === '/healthz') text(res, 200, 'ok\n');
    else if (pathname === '/readyz') {
      const reasons = h.notReady();
      text(res, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? 'ready\n' : `not ready: ${reasons.join('; ')}\n`);
    } else if (pathname === '/metrics') {
      h.metrics.registry.metrics().then((body) => {
        res.setHeader('content-type', h.metrics.registry.contentType);
        res.end(body);
      }, (err: unknown) => text(res, 500, `metrics failed: ${(err as Error).message}\n`));
    } else return false;
    return true;
  };
}

export interface HttpAddress { host: string; port: number }

/**
 * `PORT`, `ADDR:PORT` or `[IPv6]:PORT`: a port alone binds 127.0.0.1; `localhost` is 127.0.0.1; any
 * other address must be an IP literal (a name could resolve to a non-loopback address unseen). The
 * error says what is wrong, or the parsed address.
 */
export function parseHttpAddress(value: string): HttpAddress | string {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) return 'must be PORT, ADDR:PORT or [IPv6]:PORT (PORT 0 to 65535), e.g. 9464 or 127.0.0.1:9464';
  const given = m[1] ?? m[2];
  if (given === undefined || given === 'localhost') return { host: '127.0.0.1', port };
  if (m[1] !== undefined ? isIP(given) !== 6 : isIP(given) !== 4) return `'${given}' is not an IP address: write one (127.0.0.1, [::1], or 0.0.0.0 to listen on every interface)`;
  return { host: given, port };
}

export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || /^::ffff:127\./i.test(host);
}

/** What a listener serves, for its 404 and its log lines; the default is the daemon's health routes alone. */
export interface Served {
  /** the paths, as a 404 names them */
  paths: string;
  /** the log line's subject */
  what: string;
  /** the command, in a "cannot listen" error */
  command: string;
}

const HEALTH_ONLY: Served = { paths: '/healthz, /readyz and /metrics', what: 'health and metrics', command: 'daemon --http' };

/**
 * The TCP listener: the health routes, and the web UI's when `routes` includes them (the cli injects
 * them: the daemon does not import the UI). Resolves once listening, with the address it got.
 */
export async function serveHttp(at: HttpAddress, routes: Routes, log: Logger, served: Served = HEALTH_ONLY): Promise<{ address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end('only GET\n');
    } else if (!routes(req, res)) {
      res.statusCode = 404;
      res.end(`not found: this listener serves ${served.paths}\n`);
    }
  });
  const shown = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(at.port, at.host, resolve)).catch((err: unknown) => {
    throw new Error(`${served.command} ${shown}: cannot listen: ${(err as Error).message}; fix: choose another address or port, or stop what listens there`, { cause: err });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? (bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`) : shown;
  if (isLoopback(at.host)) log.info(`${served.what} listening`, { http: address, ...(served === HEALTH_ONLY ? {} : { url: `http://${address}/` }) });
  else if (served === HEALTH_ONLY) log.warn('health and metrics listening beyond loopback, as --http asks: app names and states are visible to whoever reaches it (no secrets, no log)', { http: address });
  else log.warn(`${served.what} listening beyond loopback, as --http asks: app names, states and the event log are visible to whoever reaches it (never a secret's value or hash)`, { http: address });
  return {
    address,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
