#!/usr/bin/env node
// All podledger writes for itself (log, snapshots, node key, control socket) is private to its user;
// what a container must read (bind sources, rendered files) is given its mode explicitly.
// Set before the CLI loads, hence the dynamic import.
process.umask(0o077);
// The CLI as `npm run build` bundles it (dist/bundle/: src/tools/build-cli.ts), a few files to load
// instead of ~170 (docs/benchmarks.md, start-up); tsc's output where only tsc has run since, so a
// bare `tsc` never leaves an older bundle running.
import { statSync } from 'node:fs';

const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/bundle/main.js');
const compiled = mtime('../dist/cli/main.js');
await import(bundled !== undefined && !(compiled > bundled) ? '../dist/bundle/main.js' : '../dist/cli/main.js');
