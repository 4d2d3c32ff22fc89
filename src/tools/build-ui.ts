// `npm run build`'s second step: bundles the page (src/web/ui) for the browser into dist/web/ui, where
// src/web/assets.ts serves it from. esbuild: one small, fast, well-kept tool; the page has no runtime
// dependencies, so the bundle is only podledger's own code.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const from = path.join(root, 'src/web/ui');
const to = path.join(root, 'dist/web/ui');

await mkdir(to, { recursive: true });
await build({
  entryPoints: [path.join(from, 'main.ts')], outfile: path.join(to, 'app.js'),
  bundle: true, format: 'esm', target: 'es2022', minify: true, sourcemap: false, legalComments: 'none', logLevel: 'warning',
});
for (const file of ['index.html', 'style.css', 'favicon.svg']) await copyFile(path.join(from, file), path.join(to, file));
