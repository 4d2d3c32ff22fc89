import { defineConfig } from 'vitest/config';

// `npm run record`: the recorder of the captured-boot library (test/record/), NOT part of `npm test`.
// It runs real scenarios of the daemon against the isolated podman service that the podman test
// project also uses (test/support/podman-global.ts) and writes events/<scenario>.ndjson and
// replay/<scenario>.json. One scenario: `npm run record -- -t crash-loop`.
export default defineConfig({
  test: {
    name: 'record',
    include: ['test/record/**/*.record.ts'],
    environment: 'node',
    globalSetup: ['test/support/podman-global.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    fileParallelism: false,
  },
});
