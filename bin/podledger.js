#!/usr/bin/env node
// All podledger writes for itself (log, snapshots, node key, control socket) is private to its user;
// what a container must read (bind sources, rendered files) is given its mode explicitly.
// Set before the CLI loads, hence the dynamic import.
process.umask(0o077);
await import('../dist/cli/main.js');
