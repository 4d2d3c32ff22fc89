// The page's files, bundled at build time (src/tools/build-ui.ts) into dist/web/ui/ beside this
// module (or beside the CLI bundle's folder, dist/bundle/), and found from here by import.meta.url, so an installed package serves its own copy. Nothing
// is fetched from elsewhere: the CSP below forbids it, and the page has no external fonts or CDNs.
import { readFile } from 'node:fs/promises';
import type http from 'node:http';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
  '/ui/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers on every UI answer: the page loads only what this listener serves. */
export function secureHeaders(res: http.ServerResponse): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

const cache = new Map<string, Promise<Buffer>>();
// Set in the CLI bundle (src/tools/build-cli.ts): its chunks are in dist/bundle/, the page in dist/web/ui/.
declare const PODLEDGER_BUNDLE_UI: string | undefined;
const ASSETS = new URL(typeof PODLEDGER_BUNDLE_UI === 'string' ? PODLEDGER_BUNDLE_UI : './ui/', import.meta.url);

export function assetRoute(pathname: string, res: http.ServerResponse): boolean {
  const asset = FILES[pathname];
  if (!asset) return false;
  let body = cache.get(asset.file);
  if (!body) cache.set(asset.file, body = readFile(new URL(asset.file, ASSETS)));
  body.then((bytes) => {
    res.setHeader('content-type', asset.type);
    res.setHeader('cache-control', 'no-cache');
    res.end(bytes);
  }, (err: unknown) => {
    cache.delete(asset.file);
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`the UI's files are not built (${(err as Error).message}): run npm run build\n`);
  });
  return true;
}
