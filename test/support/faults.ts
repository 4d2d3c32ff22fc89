// Crash and fault injection against the real daemon and the run's isolated podman service: the
// scenarios behind test/podman/faults.test.ts (short form, in `npm test`) and test/soak/ (long form,
// `npm run soak`). Each scenario takes its counts and durations as options and returns the figures
// it measured; docs/faults.md describes them.
//
// One module per fault family in test/support/faults/, on two shared ones: shared.ts (seeded
// randomness, the daemon's control socket, log and memory) and scenario.ts (a scenario's apps, data
// dir, network and daemon, and convergence as podman and the daemon see it).
export { crashChurn, type CrashFigures, type CrashOptions } from './faults/crash.js';
export { diskFull, diskFullAfterExit, enospcReopen, inventoryAppendFailure, type AfterExitFigures, type DiskFullFigures, type DiskFullOptions } from './faults/disk-full.js';
export { podmanServiceRestarts, type ServiceFigures, type ServiceOptions } from './faults/podman-service.js';
export { prepareFixture, type Fixture } from './faults/scenario.js';
export { faultSeed } from './faults/shared.js';
export { storm, type StormFigures, type StormOptions } from './faults/storm.js';
export { twoDaemons, type TwoDaemonsFigures } from './faults/two-daemons.js';
