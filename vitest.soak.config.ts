import { defineConfig } from 'vitest/config';

// `npm run soak`: the long form of the crash and fault injection tests (test/soak/), NOT part of
// `npm test`. Same isolated podman service as the podman project (test/support/podman-global.ts);
// the scenarios are in test/support/faults.ts and docs/faults.md describes them. It runs for about
// an hour on a 2-core machine. One scenario: `npm run soak -- -t storm`. Counts can be lowered with
// SOAK_KILLS, SOAK_SERVICE_RESTARTS, SOAK_DISK_CYCLES, SOAK_STORM_APPS, SOAK_STORM_SECONDS;
// PODLEDGER_FAULT_SEED=<seed> repeats a run's random choices.
export default defineConfig({
  test: {
    name: 'soak',
    include: ['test/soak/**/*.soak.ts'],
    environment: 'node',
    globalSetup: ['test/support/podman-global.ts'],
    testTimeout: 3 * 60 * 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    fileParallelism: false,
  },
});
