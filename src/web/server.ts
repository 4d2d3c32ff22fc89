// The web UI's routes: the page and its assets, the JSON API and the live stream. They are handed to
// the HTTP listener of src/daemon/health-http.ts, by `daemon --http` (beside /healthz, /readyz and
// /metrics) and by `podledger ui` (a captured log, read-only).
import { isIP } from 'node:net';
import type { Routes } from '../daemon/health-http.js';
import { apiRoute } from './api.js';
import { assetRoute, secureHeaders } from './assets.js';
import type { WebSource } from './source.js';
import { streamRoute } from './stream.js';

export function webRoutes(source: WebSource): Routes {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://podledger');
    if (url.pathname === '/api/stream' && hostAllowed(req.headers.host)) {
      secureHeaders(res);
      streamRoute(source, req, url, res);
      return true;
    }
    if (!url.pathname.startsWith('/api/') && !assetRouteExists(url.pathname)) return false;
    if (!hostAllowed(req.headers.host)) {
      res.statusCode = 403;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('forbidden: the web UI answers only a request addressed to an IP address or localhost (a page elsewhere cannot read it through DNS rebinding)\n');
      return true;
    }
    secureHeaders(res);
    return apiRoute(source, url, res) || assetRoute(url.pathname, res);
  };
}

/**
 * A browser names the host it meant in `Host`. The listener binds an IP address, so a name other than
 * localhost means a name that resolved here: a page of another site, by DNS rebinding, reading the log.
 */
export function hostAllowed(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || isIP(name) !== 0;
}

const assetRouteExists = (p: string) => p === '/' || p === '/index.html' || p.startsWith('/ui/') || p === '/favicon.ico';
