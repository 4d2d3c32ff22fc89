// The running podledger's version, recorded in every BootStarted.
import { createRequire } from 'node:module';

// Set in the CLI bundle (src/tools/build-cli.ts), whose chunks do not sit where ../package.json is the package's.
declare const PODLEDGER_BUNDLE_VERSION: string | undefined;

export const VERSION: string = typeof PODLEDGER_BUNDLE_VERSION === 'string'
  ? PODLEDGER_BUNDLE_VERSION
  : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
