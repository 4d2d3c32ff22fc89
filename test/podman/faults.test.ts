// Crash and fault injection, short form (part of `npm test`): the daemon SIGKILLed during churn, the
// podman service killed under it, a full disk under its data dir, a second daemon on its data dir,
// and a storm of crash-looping apps. The long form with bigger counts is `npm run soak`
// (test/soak/); the scenarios themselves are in test/support/faults/ (one module per fault, exported
// by test/support/faults.ts), described in docs/faults.md.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/cli.js';
import { crashChurn, diskFull, diskFullAfterExit, enospcReopen, faultSeed, inventoryAppendFailure, podmanServiceRestarts, prepareFixture, storm, twoDaemons, type Fixture } from '../support/faults.js';

const PREFIX = `fl${process.pid}`;
const seed = faultSeed();

describe('faults, short form', () => {
  let tmp: TempDir;
  let fx: Fixture;

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-faults');
    fx = await prepareFixture(tmp.path, `localhost/${PREFIX}-app:1`);
  });

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('given churn (apps added, edited, removed, containers killed), when the daemon is SIGKILLed at random 8 times, then after each restart nothing acknowledged is lost, seqs are 1..n, one running container per app within 10 s, replay --check agrees', async () => {
    const f = await crashChurn(fx, `${PREFIX}c`, { kills: 8, seed, killWindowMs: [200, 2_500], convergeMs: 10_000 });
    expect(f.convergeMs.max).toBeLessThanOrEqual(10_000);
  }, 240_000);

  it('given a running daemon, when the podman service is killed and restarted 3 times with a container killed while it is down, then the same daemon resyncs and starts the container again', async () => {
    await podmanServiceRestarts(fx, `${PREFIX}p`, { restarts: 3, seed });
  }, 180_000);

  it('given a full disk under the data dir, when a manifest changes and a container dies, then appends fail cleanly, nothing is done undecided, and after space returns it converges with nothing lost, also across a reopen', async () => {
    await diskFull(fx, `${PREFIX}d`, { cycles: 1, size: '4m', fullMs: 4_000 });
  }, 120_000);

  // Regression test for bug 2 of docs/faults.md (found by this test, fixed in c9633f8): a container
  // whose exit was logged before the disk filled was never restarted once space came back, since a
  // failed reconcile run scheduled no retry and nothing new was appended to wake the reconciler.
  it('given a container exit already logged, when the disk fills before its restart and then frees, then the daemon restarts it', async () => {
    const r = await diskFullAfterExit(fx, `${PREFIX}e`, { size: '4m', fullMs: 3_000, resumeMs: 10_000 });
    expect(r.preconditionMet, r.detail).toBe(true);
    expect(r.converged, r.detail).toBe(true);
  }, 120_000);

  // Was bug 1 (docs/faults.md), fixed: acknowledged events were lost on the next open after a disk-full spell.
  // A batch that fails with ENOSPC leaves a torn record in LevelDB's write-ahead log (000NNN.log);
  // EventStore keeps writing to the same handle, so every later (acknowledged, fsynced) batch lands
  // after the torn bytes. At the next open LevelDB's recovery reports "dropping N bytes; Corruption:
  // checksum mismatch" (in <data>/LOG) and silently drops the rest of that 32 KiB log block: the
  // events acknowledged after space came back are gone, and the next daemon reuses their seqs for
  // other events. Known LevelDB behaviour (google/leveldb#1180): after a failed write the store now
  // reopens the db (recovery then drops only the failed batch) before it appends again.
  // Reproduce: this test, or the daemon-level figures of the disk-full test above (lostAfterRestart).
  it('given an append that failed with ENOSPC, when space returns and more appends are acknowledged, then a reopened store still holds them', async () => {
    const r = await enospcReopen(join(tmp.path, 'enospc'));
    expect(r.failedAppends).toBeGreaterThan(0);
    expect(r.reopened, `acknowledged up to #${r.acknowledged}, reopened at #${r.reopened}; LevelDB LOG:\n${r.levelLog}`).toBe(r.acknowledged);
  });

  // Was bug 3 (docs/faults.md), fixed: an append that fails inside the inventory resync (disk full) is logged
  // as "cannot reach podman at <socket>; actions wait until it answers", and the daemon marks podman
  // down: every action is held until an inventory read appends again, although podman answers. The
  // inventory's error handler (src/daemon/daemon.ts) treats any failure of its run as podman being
  // unreachable; an append failure should be reported as what it is. Reproduce: this test
  // (inventoryAppendFailure in test/support/faults/disk-full.ts).
  it('given a full disk, when the inventory cannot append what it found, then the daemon does not report podman as unreachable', async () => {
    const r = await inventoryAppendFailure(fx, `${PREFIX}u`, { size: '4m', fullMs: 2_500 });
    expect(r.said, 'the append failure is reported').toMatch(/no space left on device/i);
    expect(r.misreport, r.said).toEqual([]);
  }, 120_000);

  it('given a running daemon, when a second daemon starts on the same data dir, then it refuses with a clear message and a non-zero exit, and the first is unaffected', async () => {
    const f = await twoDaemons(fx, `${PREFIX}t`);
    expect(f.secondExit).not.toBe(0);
  }, 120_000);

  it('given 3 apps that crash at once, when they loop for 20 s, then restarts stay within the backoff windows, memory stays bounded and the log grows a few events per exit', async () => {
    const f = await storm(fx, `${PREFIX}s`, { apps: 3, durationMs: 20_000 });
    expect(f.newContainers, 'crash-looping apps keep their containers').toBe(0);
    // only news is recorded: exit, backoff, start, outcome and at most one plan each, plus the three
    // creates of a run this short (5.13 measured; 7.87 when every plan was recorded)
    expect(f.eventsPerExit).toBeLessThanOrEqual(6);
    expect(f.rssKb.max).toBeLessThan(f.rssKb.start + 64 * 1024);
  }, 120_000);
});
