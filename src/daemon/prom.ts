// prom-client, loaded without @opentelemetry/api. prom-client requires it when it loads, for the
// exemplars of its CPU counter, which the daemon never enables; it held ~40 ms of the daemon's
// start-up and its memory after. While prom-client loads, a stand-in takes its place in the module
// cache that loads the real module the first time anything is read from it, so nothing changes if
// exemplars are ever used; the stand-in leaves the cache at once, so no one else is given it.
import { createRequire, Module } from 'node:module';
import type * as Prom from 'prom-client';

let loaded: Promise<typeof Prom> | undefined;

/** prom-client, loaded once. */
export function promClient(): Promise<typeof Prom> {
  return (loaded ??= load());
}

declare const PODLEDGER_BUNDLED: boolean | undefined;

async function load(): Promise<typeof Prom> {
  // The bundle defers it itself (src/tools/bundle-lazy.ts); its chunk of prom-client exports the module as its default only.
  if (typeof PODLEDGER_BUNDLED === 'boolean') return (await import('prom-client')).default as unknown as typeof Prom;
  const require = createRequire(import.meta.url);
  const prom = createRequire(require.resolve('prom-client'));
  let path: string | undefined;
  try {
    path = prom.resolve('@opentelemetry/api');
  } catch {
    // another layout: prom-client loads it itself, as it always did (memory only, never behaviour)
  }
  const standIn = path === undefined || prom.cache[path] ? undefined : lazyModule(prom, path);
  try {
    if (standIn) prom.cache[path!] = standIn;
    return await import('prom-client'); // a CommonJS package: its requires go through that cache
  } finally {
    if (standIn && prom.cache[path!] === standIn) delete prom.cache[path!];
  }
}

/** A module whose exports load `path` on first read. */
function lazyModule(from: NodeJS.Require, path: string): Module {
  let real: Record<string | symbol, unknown> | undefined;
  const m = new Module(path);
  const load = () => {
    if (from.cache[path] === m) delete from.cache[path]; // read while prom-client loads: load the real one, not this
    return (real ??= from(path) as Record<string | symbol, unknown>);
  };
  m.filename = path;
  m.loaded = true;
  m.exports = new Proxy({}, {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
  });
  return m;
}
