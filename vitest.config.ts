import { defineConfig } from 'vitest/config';

// Two projects, both run by `npx vitest run` (and so by `npm test`):
//   unit   — pure and in-process tests, no podman.
//   podman — against a real podman service that test/support/podman-global.ts starts for the run,
//            in an isolated store. One file at a time: they share that service.
// One project alone: `npx vitest run --project unit` (or `npm run test:unit`).
export default defineConfig({
  test: {
    // Stopping the isolated podman service and removing its containers can take a while.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // property tests run hundreds of cases; a loaded 2-core CI machine must not time them out
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'podman',
          include: ['test/podman/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/podman-global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
