// The `podledger` executable (bin/podledger.js): runs the command line of ./program.ts on process.argv.

// A reader that stops early (`podledger events | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// `podledger --version` alone is answered before commander and the command tree load (half of a
// --version's time otherwise; docs/benchmarks.md, start-up); it prints what commander's would.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  process.stdout.write(`${(await import('../version.js')).VERSION}\n`);
} else {
  process.exitCode = await (await import('./program.js')).main(argv);
}
