// Crash and fault injection, long form: `npm run soak` (vitest.soak.config.ts; not part of `npm test`).
// The same scenarios as test/podman/faults.test.ts (test/support/faults/), with bigger counts:
// 200 SIGKILLs during churn, 50 podman service restarts, 10 disk-full spells, a storm of 20
// crash-looping apps for 5 minutes. Each scenario prints its figures as `[faults] ... figures: {...}`
// (docs/faults.md keeps those of the last runs). Lower counts for a quick look with SOAK_KILLS,
// SOAK_SERVICE_RESTARTS, SOAK_DISK_CYCLES, SOAK_STORM_APPS, SOAK_STORM_SECONDS;
// PODLEDGER_FAULT_SEED=<seed> repeats a run's random choices.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/cli.js';
import {
  crashChurn, diskFull, diskFullAfterExit, enospcReopen, faultSeed, inventoryAppendFailure, podmanServiceRestarts, prepareFixture, storm, twoDaemons,
  type Fixture,
} from '../support/faults.js';

const PREFIX = `sk${process.pid}`;
const seed = faultSeed();
const count = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const KILLS = count('SOAK_KILLS', 200);
const SERVICE_RESTARTS = count('SOAK_SERVICE_RESTARTS', 50);
const DISK_CYCLES = count('SOAK_DISK_CYCLES', 10);
const STORM_APPS = count('SOAK_STORM_APPS', 20);
const STORM_SECONDS = count('SOAK_STORM_SECONDS', 300);

/** Figures of this run, also written as JSON to $SOAK_FIGURES (default <tmpdir>/podledger-soak-figures.json). */
const figures: Record<string, unknown> = { seed, started: new Date().toISOString() };

describe('faults, long form (soak)', () => {
  let tmp: TempDir;
  let fx: Fixture;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-soak');
    fx = await prepareFixture(tmp.path, `localhost/${PREFIX}-app:1`);
  });

  afterAll(async () => {
    figures.finished = new Date().toISOString();
    const file = process.env.SOAK_FIGURES ?? join(tmpdir(), 'podledger-soak-figures.json');
    writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`[faults] soak figures written to ${file}\n`);
    await tmp?.cleanup();
  });

  it(`SIGKILL during churn, ${KILLS} times: nothing acknowledged lost, seqs 1..n, one running container per app within 10 s of each restart, replay --check agrees`, async () => {
    const f = await crashChurn(fx, `${PREFIX}c`, { kills: KILLS, seed, killWindowMs: [200, 4_000], convergeMs: 10_000 });
    figures.crash = f;
    expect(f.convergeMs.max).toBeLessThanOrEqual(10_000);
  });

  it(`podman service killed and restarted ${SERVICE_RESTARTS} times: same daemon, resynced, no container death missed`, async () => {
    figures.podmanRestarts = await podmanServiceRestarts(fx, `${PREFIX}p`, { restarts: SERVICE_RESTARTS, seed });
  });

  it(`disk full ${DISK_CYCLES} times: appends fail cleanly, nothing done undecided, converges after space returns`, async () => {
    figures.diskFull = await diskFull(fx, `${PREFIX}d`, { cycles: DISK_CYCLES, size: '8m', fullMs: 4_000 });
  });

  it('disk full after a logged exit: the container is restarted once space returns (bug 2 regression)', async () => {
    const r = await diskFullAfterExit(fx, `${PREFIX}e`, { size: '4m', fullMs: 3_000, resumeMs: 10_000 });
    figures.diskFullAfterExit = { preconditionMet: r.preconditionMet, converged: r.converged };
    expect(r.preconditionMet, r.detail).toBe(true);
    expect(r.converged, r.detail).toBe(true);
  });

  // Bug 1 of docs/faults.md (fixed in e8b80a0): see test/podman/faults.test.ts.
  it('a reopened store still holds what was acknowledged after an ENOSPC append, 5 times (bug 1 regression)', async () => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await enospcReopen(join(tmp.path, `enospc-${i}`)));
    figures.enospcReopen = runs.map(({ acknowledged, reopened, failedAppends }) => ({ acknowledged, reopened, failedAppends }));
    for (const r of runs) expect(r.reopened, r.levelLog).toBe(r.acknowledged);
  });

  // Bug 3 of docs/faults.md (fixed in a58a7dd): see test/podman/faults.test.ts.
  it('an inventory append failure is not reported as podman being unreachable (bug 3 regression)', async () => {
    const r = await inventoryAppendFailure(fx, `${PREFIX}u`, { size: '4m', fullMs: 2_500 });
    figures.inventoryAppendFailure = { misreport: r.misreport.length, converged: r.converged };
    expect(r.misreport, r.said).toEqual([]);
  });

  it('two daemons on one data dir, twice: the second refuses, the first is unaffected', async () => {
    figures.twoDaemons = [await twoDaemons(fx, `${PREFIX}t`), await twoDaemons(fx, `${PREFIX}v`)];
  });

  it(`storm: ${STORM_APPS} crash-looping apps for ${STORM_SECONDS} s: backoff holds, memory bounded, a few events per exit`, async () => {
    const f = await storm(fx, `${PREFIX}s`, { apps: STORM_APPS, durationMs: STORM_SECONDS * 1000, sampleMs: 5_000, series: true });
    figures.storm = f;
    expect(f.newContainers, 'crash-looping apps keep their containers').toBe(0);
    // exit, backoff, start, outcome and at most one plan each (5.06 measured at 20 apps × 300 s); 8 before only news was recorded
    expect(f.eventsPerExit, "only news is recorded").toBeLessThanOrEqual(5.5);
    expect(f.rssKb.max).toBeLessThan(f.rssKb.start + 64 * 1024);
  });
});
