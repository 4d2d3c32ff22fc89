// The web UI's routes: the page and its assets, the JSON API and the live stream. They are handed to
// the HTTP listener of src/daemon/health-http.ts, by `daemon --http` (beside /healthz, /readyz and
// /metrics) and by `podledger ui` (a captured log, read-only).
import type { Routes } from '../daemon/health-http.js';
import { apiRoute } from './api.js';
import { assetRoute, secureHeaders } from './assets.js';
import type { WebSource } from './source.js';
import { streamRoute } from './stream.js';

export const UI_PATHS = '/ (the web UI), /api/…';

export function webRoutes(source: WebSource): Routes {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://podledger');
    if (url.pathname === '/api/stream') {
      secureHeaders(res);
      streamRoute(source, req, url, res);
      return true;
    }
    if (!url.pathname.startsWith('/api/') && !assetRouteExists(url.pathname)) return false;
    secureHeaders(res);
    return apiRoute(source, url, res) || assetRoute(url.pathname, res);
  };
}

const assetRouteExists = (p: string) => p === '/' || p === '/index.html' || p.startsWith('/ui/') || p === '/favicon.ico';
