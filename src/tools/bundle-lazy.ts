// The CLI bundle's lazy parts (build-cli.ts): modules of bundled packages that stay files of their
// package, loaded from node_modules the first time they are used, as a package import would load them.
// - what finds files beside itself: classic-level's native binding (node-gyp-build(__dirname)),
//   dockerode's BuildKit session and progress reader (.proto files);
// - what only paths podledger never takes use, which held memory and start-up time: docker-modem's
//   ssh transport (ssh2, with its optional native parts), dockerode's gRPC session, prom-client's
//   @opentelemetry/api (exemplars), dockerode's build-context packing (tar-fs, dockerignore; the
//   executor packs its own contexts).
// Each is asked for by its package's own name from the package that depends on it, so an installed
// podledger finds it wherever npm placed it. These replace the module-cache stand-ins that
// src/podman/client.ts and src/daemon/prom.ts put in place for tsc's (unbundled) output.
import type { Plugin } from 'esbuild';

/**
 * `function`: the module exports a function, called at some point (a stand-in that loads on first call);
 * `object`: its exports are read (a proxy that loads on first read);
 * `module`: required only where it is used (the require itself is the lazy step).
 */
type Kind = 'function' | 'object' | 'module';

interface Part {
  /** the requiring file's path, within node_modules */
  importer: RegExp;
  /** what it requires */
  request: string;
  /** the module as its package names it, and the package (a dependency of podledger) it is resolved from */
  id: string;
  from: string;
  kind: Kind;
}

const PARTS: Part[] = [
  { importer: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/, request: './ssh', id: 'docker-modem/lib/ssh.js', from: 'dockerode', kind: 'function' },
  { importer: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/, request: './session', id: 'dockerode/lib/session.js', from: 'dockerode', kind: 'function' },
  { importer: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/, request: './buildkit', id: 'dockerode/lib/buildkit.js', from: 'dockerode', kind: 'module' },
  { importer: /[\\/]dockerode[\\/]lib[\\/]util\.js$/, request: 'tar-fs', id: 'tar-fs', from: 'dockerode', kind: 'object' },
  { importer: /[\\/]dockerode[\\/]lib[\\/]util\.js$/, request: '@balena/dockerignore', id: '@balena/dockerignore', from: 'dockerode', kind: 'function' },
  { importer: /[\\/]prom-client[\\/]lib[\\/]metrics[\\/]processCpuTotal\.js$/, request: '@opentelemetry/api', id: '@opentelemetry/api', from: 'prom-client', kind: 'object' },
  { importer: /[\\/]classic-level[\\/][^\\/]+\.js$/, request: './binding', id: 'classic-level/binding.js', from: 'level', kind: 'module' },
];

/** Each lazy part's module and the package it is resolved from (the packaging test resolves them in an installed podledger). */
export const LAZY_PARTS: readonly { id: string; from: string }[] = PARTS.map(({ id, from }) => ({ id, from }));

const NS = 'podledger-lazy';

// One module for all: `require` for a package's own module, resolved from the package that depends on it.
const LOADER = `import { createRequire } from 'node:module';
const here = createRequire(import.meta.url);
export const load = (id, from) => createRequire(here.resolve(from))(id);`;

function standIn({ id, from, kind }: Part): string {
  const load = `require(${JSON.stringify(`${NS}:loader`)}).load(${JSON.stringify(id)}, ${JSON.stringify(from)})`;
  if (kind === 'module') return `module.exports = ${load};`;
  if (kind === 'function') return `let real;\nmodule.exports = function (...args) { return (real ??= ${load}).apply(this, args); };`;
  return `let real;\nconst get = () => (real ??= ${load});\nmodule.exports = new Proxy({}, { get: (_, key) => get()[key], has: (_, key) => key in get() });`;
}

export const lazyParts: Plugin = {
  name: 'lazy-parts',
  setup(b) {
    b.onResolve({ filter: /./ }, (args) => {
      const i = PARTS.findIndex((p) => p.request === args.path && p.importer.test(args.importer));
      return i < 0 ? undefined : { path: String(i), namespace: NS };
    });
    b.onResolve({ filter: /^podledger-lazy:loader$/ }, () => ({ path: 'loader', namespace: NS }));
    b.onLoad({ filter: /.*/, namespace: NS }, (args) => args.path === 'loader'
      ? { contents: LOADER, loader: 'js' }
      : { contents: standIn(PARTS[Number(args.path)]!), loader: 'js' });
  },
};
