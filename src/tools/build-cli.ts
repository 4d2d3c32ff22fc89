// `npm run build`'s third step: bundles the command line (src/cli/main.ts) into dist/bundle/, which
// bin/podledger.js loads. Why: a small offline command spent half its start-up loading modules, 95 of
// its 167 zod's, 62 of those zod's locales that `export * as locales` in zod's entry points pulls in
// (docs/benchmarks.md, start-up). A bundle loads a few files instead of ~170, and esbuild drops what is
// never used (zod's locales among it: the sources import zod as `* as z`, whose members esbuild
// shakes, where the `{ z }` namespace object kept every export). esbuild is the tool that already
// bundles the web UI (build-ui.ts), so no new dependency.
//
// ESM with code splitting, so the commands' lazy imports (program.ts) stay lazy: each is a chunk
// loaded when its command runs. Every output file sits in one folder (no subfolders), so code that
// finds files beside itself finds them from any chunk: the two that do are told where at build time
// (the defines below; the tsc output in dist/ keeps its own paths).
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyParts } from './bundle-lazy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'dist/bundle');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

// Bundled: every dependency's JavaScript (src/tools/bundle-lazy.ts keeps out what must stay a file
// of its package or is used only on paths podledger never takes). Loading dockerode, prom-client and
// level as packages cost the daemon's start ~60 ms of CommonJS loader work (resolving, stat, package
// reads, export lexing) besides their own code (docs/benchmarks.md, boot). A new dependency is
// external until it is added here.
const BUNDLED = new Set(['canonicalize', 'chokidar', 'commander', 'dockerode', 'eventemitter3', 'immer', 'level', 'prom-client', 'rxjs', 'tar-fs', 'uuid', 'yaml', 'zod']);
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));

await rm(out, { recursive: true, force: true });
await build({
  entryPoints: { main: path.join(root, 'src/cli/main.ts') }, outdir: out,
  bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
  entryNames: '[name]', chunkNames: '[name]-[hash]', external,
  // Whitespace and names kept, so a stack trace still reads; syntax minified so the defines' dead branches go.
  minifySyntax: true, sourcemap: 'linked', legalComments: 'none', logLevel: 'warning',
  define: {
    PODLEDGER_BUNDLE_VERSION: JSON.stringify(pkg.version), // src/version.ts: ../package.json is not beside a chunk
    PODLEDGER_BUNDLE_UI: JSON.stringify('../web/ui/'), // src/web/assets.ts: the page, from dist/bundle/
    PODLEDGER_BUNDLED: 'true', // src/podman/client.ts, src/daemon/prom.ts: their lazy parts are the bundle's (bundle-lazy.ts)
  },
  // CommonJS dependencies (commander, ...) bundled into ESM call require() for node's own modules. Made
  // on first use: createRequire in each of the ~25 chunks a command loads cost a few ms.
  // rxjs's package exports name its CommonJS build for node, which esbuild cannot shake: 333 KB of
  // rxjs in the daemon's chunk, all parsed and run at start for the five names the sources use. Its
  // ES module build (side-effect free, as its package.json says) is shaken to what is imported.
  plugins: [lazyParts, { name: 'rxjs-esm', setup: (b) => b.onResolve({ filter: /^rxjs$/ }, () => ({ path: path.join(root, 'node_modules/rxjs/dist/esm/index.js') })) }],
  banner: { js: "import { createRequire as podledgerCreateRequire } from 'node:module';\nlet podledgerRequire;\nconst require = (id) => (podledgerRequire ??= podledgerCreateRequire(import.meta.url))(id);" },
});
