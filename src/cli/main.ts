// The `podledger` executable (bin/podledger.js): runs the command line of ./program.ts on process.argv.
import { main } from './program.js';

// A reader that stops early (`podledger events | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv);
