// Fault 1: the daemon SIGKILLed at random during convergence and churn (apps added, edited, removed,
// containers killed), also during its own start-up. Nothing acknowledged may be lost.
import { expect } from 'vitest';
import { type Daemon } from '../cli.js';
import { podmanCli, waitFor } from '../podman.js';
import { cleanupPodman, daemonOn, lastGap, replayCheck, scenario, statusAgrees, waitConverged, type Fixture } from './scenario.js';
import { Acknowledged, cliEvents, gapProblem, rng, say, sleep, summary, type Say } from './shared.js';

/** SIGKILL a daemon and wait until it is gone; returns when the kill landed (ms epoch). */
export async function killDaemon(d: Daemon): Promise<number> {
  const at = Date.now();
  process.kill(d.pid, 'SIGKILL');
  await waitFor(() => d.exitCode() !== null, { timeoutMs: 10_000, intervalMs: 20, what: `daemon ${d.pid} gone after SIGKILL` });
  return at;
}

export interface CrashOptions {
  kills: number;
  seed: number;
  /** the kill lands this long after the iteration's churn begins, at random (or soon after an action starts) */
  killWindowMs: [number, number];
  /** a restarted daemon must converge within this */
  convergeMs: number;
  say?: Say;
}

export interface CrashFigures {
  kills: number;
  seed: number;
  /** restart (spawn) to converged, per kill */
  convergeMs: ReturnType<typeof summary>;
  /** kills that landed between an ActionStarted and its outcome */
  midAction: number;
  /** kills before the killed boot had written anything (still opening the db or reading) */
  beforeBoot: number;
  churnOps: Record<string, number>;
  acknowledged: number;
  events: number;
  containersMade: number;
}

const POOL = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];

export async function crashChurn(fx: Fixture, prefix: string, o: CrashOptions): Promise<CrashFigures> {
  const log = o.say ?? say;
  const r = rng(o.seed);
  const s = await scenario(fx, prefix);
  const kills = new Map<string, number>(); // kills since the app last got a new container (backoff attempts)
  const ops: Record<string, number> = {};
  const convergeTimes: number[] = [];
  const ack = new Acknowledged();
  let midAction = 0;
  let beforeBoot = 0;
  log(`crash: ${o.kills} SIGKILLs, seed ${o.seed} (PODLEDGER_FAULT_SEED=${o.seed} repeats the choices)`);
  for (const id of POOL.slice(0, 3)) await s.apps.write(id, { gen: 0, alt: false });

  /** One random change of the kind a node sees: a new app, an edited manifest, a killed or removed container, an app removed. */
  const churnOnce = async (): Promise<void> => {
    const present = [...s.apps.shapes.keys()];
    const absent = POOL.filter((id) => !s.apps.shapes.has(id));
    const killable = present.filter((id) => (kills.get(id) ?? 0) < 2);
    const choices: [string, number][] = [['edit', 4], ['kill', killable.length ? 3 : 0], ['rm', 1], ['add', absent.length && present.length < 5 ? 2 : 0], ['remove', present.length > 2 ? 1 : 0]];
    const total = choices.reduce((a, [, w]) => a + w, 0);
    let roll = r.next() * total;
    const op = choices.find(([, w]) => (roll -= w) < 0)?.[0] ?? 'edit';
    ops[op] = (ops[op] ?? 0) + 1;
    switch (op) {
      case 'edit': {
        const id = r.pick(present);
        const old = s.apps.shapes.get(id)!;
        await s.apps.write(id, { gen: old.gen + 1, alt: r.chance(0.3) ? !old.alt : old.alt });
        kills.set(id, 0);
        return;
      }
      case 'kill': {
        const id = r.pick(killable);
        kills.set(id, (kills.get(id) ?? 0) + 1);
        await podmanCli(['kill', s.apps.name(id)]);
        return;
      }
      case 'rm': {
        const id = r.pick(present);
        kills.set(id, 0);
        await podmanCli(['rm', '-f', '-t', '0', s.apps.name(id)]);
        return;
      }
      case 'add': {
        const id = r.pick(absent);
        kills.set(id, 0);
        await s.apps.write(id, { gen: r.int(0, 9), alt: r.chance(0.3) });
        return;
      }
      case 'remove':
        await s.apps.remove(r.pick(present));
        return;
    }
  };

  let daemon = daemonOn(s);
  try {
    for (let i = 1; i <= o.kills; i++) {
      const offset = daemon.output().length;
      const stopFollowing = ack.follow(s.data);
      // Churn: a burst at once, then a change every 100-700 ms, until the kill.
      let churning = true;
      const churn = (async () => {
        for (let n = r.int(1, 3); n > 0 && churning; n--) await churnOnce();
        while (churning) {
          await sleep(r.int(100, 700));
          if (churning) await churnOnce();
        }
      })();
      // The kill: at a random moment, or (half the time) just after the k-th action of this iteration starts.
      const deadline = r.int(o.killWindowMs[0], o.killWindowMs[1]);
      const afterAction = r.chance(0.5) ? r.int(1, 4) : 0;
      const jitter = r.int(0, 150);
      const t0 = Date.now();
      const trigger = await waitFor(() => {
        if (afterAction > 0 && (daemon.output().slice(offset).match(/: started" /g)?.length ?? 0) >= afterAction) return 'action';
        return Date.now() - t0 >= deadline ? 'time' : undefined;
      }, { timeoutMs: o.killWindowMs[1] + 1_000, intervalMs: 10, what: 'the moment to kill' });
      if (trigger === 'action') await sleep(jitter);
      const killed: { pid: number; how: string }[] = [];
      let lastKilled = daemon;
      const killAt = await killDaemon(daemon);
      killed.push({ pid: daemon.pid, how: `${killAt - t0} ms into the churn${trigger === 'action' ? ` (${jitter} ms after action #${afterAction} of the churn started)` : ''}` });
      churning = false;
      await churn;
      await stopFollowing();

      // Restart on the same data dir. Now and then the restarted daemon is killed too, during its
      // start-up (opening the db, folding, the first reads, the first plan and actions).
      let spawned = Date.now();
      daemon = daemonOn(s);
      while (i < o.kills && r.chance(0.3)) {
        i += 1;
        const stopFollowingStartup = ack.follow(s.data);
        await sleep(r.int(50, 1_500));
        lastKilled = daemon;
        const at = await killDaemon(daemon);
        await stopFollowingStartup();
        killed.push({ pid: daemon.pid, how: `${at - spawned} ms after its start` });
        spawned = Date.now();
        daemon = daemonOn(s);
      }
      try {
        await waitConverged(s, o.convergeMs, `kill ${i}: converged within ${o.convergeMs} ms of the restart`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\nstill: ${await lastGap(s)}\nkilled daemon's output (tail):\n${lastKilled.output().slice(-3000)}\nrestarted daemon's output:\n${daemon.output().slice(-5000)}`);
      }
      const took = Date.now() - spawned;
      convergeTimes.push(took);

      // Nothing acknowledged is lost; seqs are 1..n; exactly one running container per app.
      const events = await cliEvents(s.data);
      expect(ack.lost(events), `kill ${i}: acknowledged events missing after the restart`).toEqual([]);
      expect(gapProblem(events), `kill ${i}: seqs 1..n`).toBeUndefined();
      await statusAgrees(s.apps, s.data);
      // What each kill interrupted: its boot is the (last) BootStarted carrying its pid; none: killed before it wrote one.
      for (const k of killed) {
        const boot = events.findLast((e) => e.type === 'BootStarted' && e.data.pid === k.pid)?.boot;
        if (boot === undefined) beforeBoot += 1;
        const inKilled = boot === undefined ? [] : events.filter((e) => e.boot === boot);
        const outcomes = new Set(inKilled.filter((e) => e.type === 'ActionSucceeded' || e.type === 'ActionFailed').map((e) => e.causedBy));
        const open = inKilled.filter((e) => e.type === 'ActionStarted' && !outcomes.has(e.seq));
        if (open.length > 0) midAction += 1;
        log(`crash ${i - killed.length + 1 + killed.indexOf(k)}/${o.kills}: SIGKILL ${k.how}` +
          `${boot === undefined ? ', before it wrote its BootStarted' : `, boot ${boot} (${inKilled.length} events)`}` +
          `${open.length ? `, ${open.length} action(s) in flight: ${open.map((e) => (e.type === 'ActionStarted' ? `${e.data.action.kind} ${e.app}` : '')).join(', ')}` : ''}`);
      }
      log(`  restarted: converged ${took} ms after the restart; ${events.length} events, ${s.apps.shapes.size} apps`);
    }
    const replay = await replayCheck(s.data);
    log(`crash: ${replay}`);
    expect(await daemon.stop(), 'the last daemon stops cleanly').toBe(0);
    const events = await cliEvents(s.data);
    expect(gapProblem(events)).toBeUndefined();
    expect(ack.lost(events)).toEqual([]);
    const made = events.filter((e) => e.type === 'ActionSucceeded' && ['create', 'recreate'].includes(e.data.kind)).length;
    const figures: CrashFigures = {
      kills: o.kills, seed: o.seed, convergeMs: summary(convergeTimes), midAction, beforeBoot, churnOps: ops,
      acknowledged: ack.ids.size, events: events.length, containersMade: made,
    };
    log(`crash figures: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    if (daemon.exitCode() === null) await daemon.stop().catch(() => undefined);
    await cleanupPodman(prefix, s.network);
  }
}
