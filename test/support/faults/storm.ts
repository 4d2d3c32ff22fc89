// Fault 5: a storm of crash-looping apps. Restarts must stay within the backoff windows, memory
// bounded, and the log grow only a few events per exit.
import { expect } from 'vitest';
import { cleanupPodman, daemonOn, scenario, type Fixture } from './scenario.js';
import { controlEvents, controlState, gapProblem, rssKb, say, sleep, type Say } from './shared.js';

export interface StormOptions {
  apps: number;
  durationMs: number;
  /** sample RSS this often */
  sampleMs?: number;
  /** keep every RSS sample in the figures */
  series?: boolean;
  say?: Say;
}

export interface StormFigures {
  apps: number;
  seconds: number;
  exits: number;
  exitsPerSecond: number;
  events: number;
  eventsPerExit: number;
  maxStartsPerApp: number;
  maxWindowsAllowed: number;
  /** the shortest restart delay seen, as a fraction of its attempt's nominal backoff (jitter allows 0.8) */
  minGapRatio: number;
  rssKb: { start: number; end: number; max: number; samples: number; secondHalfGrowth: number };
  /** the most exits seen within one second */
  peakExitsPerSecond: number;
  /** containers made for a crash-looping app after its first (each would start its backoff over) */
  newContainers: number;
  byType: Record<string, number>;
  /** RSS samples (KiB) every sampleMs, when asked for */
  series?: number[];
}

/** Crash-loop restarts the backoff allows within `ms` of the first exit: the first at once, then 0.8 × (1 + 2 + 4 + …) s windows. */
export function backoffWindows(ms: number): number {
  let n = 0;
  while (0.8 * 1000 * (2 ** (n + 1) - 1) <= ms) n += 1;
  return n + 1;
}

export async function storm(fx: Fixture, prefix: string, o: StormOptions): Promise<StormFigures> {
  const log = o.say ?? say;
  const s = await scenario(fx, prefix);
  const ids = Array.from({ length: o.apps }, (_, i) => `s${i}`);
  for (const id of ids) await s.apps.write(id, { gen: 0, alt: false, crash: 3 });
  await s.apps.write('steady', { gen: 0, alt: false });
  const daemon = daemonOn(s);
  try {
    await daemon.waitForOutput('podman reachable', { timeoutMs: 30_000 });
    const startSeq = (await controlState(s.data)).seq;
    const rss: number[] = [rssKb(daemon.pid)];
    const t0 = Date.now();
    while (Date.now() - t0 < o.durationMs) {
      await sleep(o.sampleMs ?? 1_000);
      rss.push(rssKb(daemon.pid));
      expect(daemon.exitCode()).toBeNull();
    }
    const t1 = Date.now();
    const events = (await controlEvents(s.data)).filter((e) => e.seq > startSeq && e.at <= t1);
    const all = await controlEvents(s.data);
    expect(gapProblem(all)).toBeUndefined();
    const byType: Record<string, number> = {};
    for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
    let exits = 0;
    let newContainers = 0;
    let newContainerStory = '';
    let minGapRatio = Infinity;
    let maxStarts = 0;
    let maxWindows = 0;
    for (const id of ids) {
      const mine = all.filter((e) => e.app === id && e.at <= t1);
      const runs = mine.filter((e) => e.type === 'ActionSucceeded' && ['create', 'recreate', 'start'].includes(e.data.kind));
      const starts = runs.filter((e) => e.type === 'ActionSucceeded' && e.data.kind === 'start').length;
      const firstExit = mine.find((e) => e.type === 'ContainerExited' || (e.type === 'ContainerObserved' && e.data.state === 'exited'));
      const windows = firstExit ? backoffWindows(t1 - firstExit.at) : 0;
      expect(starts, `${id}: ${starts} crash-loop starts in ${t1 - (firstExit?.at ?? t1)} ms, the backoff allows ${windows}`).toBeLessThanOrEqual(windows);
      // and each restart waited its window after the exit before it: none for the first (attempt 0),
      // then 0.8 × 2^(attempt-1) s at least (jitter ±20 %)
      for (const st of mine) {
        if (st.type !== 'ActionSucceeded' || st.data.kind !== 'start') continue;
        // the exit this start answers: the first one observed after the run before it began
        const run = mine.findLast((e) => e.seq < st.seq && e.type === 'ActionSucceeded' && ['create', 'recreate', 'start'].includes(e.data.kind));
        const exit = mine.find((e) => e.seq > (run?.seq ?? 0) && e.seq < st.seq && (e.type === 'ContainerExited' || (e.type === 'ContainerObserved' && e.data.state === 'exited')));
        const attempt = st.data.attempt ?? 0;
        const gap = st.at - (exit?.at ?? 0);
        if (attempt === 0) continue;
        minGapRatio = Math.min(minGapRatio, gap / Math.min(1000 * 2 ** (attempt - 1), 300_000));
        const story = () => mine.filter((e) => e.seq <= st.seq).slice(-14).map((e) => `#${e.seq} +${e.at - t0} ms ${e.type} ${JSON.stringify(e.data).slice(0, 150)}`).join('\n');
        expect(gap, `${id}: start #${st.seq} (attempt ${attempt}) ${gap} ms after the exit #${exit?.seq}:\n${story()}`).toBeGreaterThanOrEqual(0.8 * Math.min(1000 * 2 ** (attempt - 1), 300_000) - 50);
      }
      // a crash-looping app keeps its container: a new one (create/recreate) would start the backoff over
      const made = runs.filter((e) => e.type === 'ActionSucceeded' && e.data.kind !== 'start');
      if (made.length > 1) {
        newContainers += made.length - 1;
        const second = made[1]!;
        if (!newContainerStory) newContainerStory = `${id}: ${mine.filter((e) => e.seq <= second.seq).slice(-10).map((e) => `#${e.seq} +${e.at - t0} ms ${e.source} ${e.type} ${JSON.stringify(e.data).slice(0, 200)}`).join('\n')}`;
      }
      exits += runs.length;
      maxStarts = Math.max(maxStarts, starts);
      maxWindows = Math.max(maxWindows, windows);
    }
    const seconds = (t1 - t0) / 1000;
    const exitTimes = all.filter((e) => ids.includes(e.app ?? '') && e.at <= t1 && (e.type === 'ContainerExited' || (e.type === 'ContainerObserved' && e.data.state === 'exited'))).map((e) => e.at);
    let peak = 0;
    for (let i = 0, j = 0; i < exitTimes.length; i++) {
      while (exitTimes[i]! - exitTimes[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    const half = rss.slice(Math.floor(rss.length / 2));
    const figures: StormFigures = {
      apps: o.apps, seconds, exits, exitsPerSecond: Number((exits / seconds).toFixed(2)), events: events.length,
      eventsPerExit: Number((events.length / Math.max(1, exits)).toFixed(2)), maxStartsPerApp: maxStarts, maxWindowsAllowed: maxWindows, minGapRatio: Number(minGapRatio.toFixed(3)),
      rssKb: { start: rss[0]!, end: rss.at(-1)!, max: Math.max(...rss), samples: rss.length, secondHalfGrowth: half.at(-1)! - half[0]! },
      peakExitsPerSecond: peak, newContainers, byType, ...(o.series ? { series: rss } : {}),
    };
    log(`storm figures: ${JSON.stringify(figures)}`);
    if (newContainerStory) log(`storm: a crash-looping app got a new container:\n${newContainerStory}`);
    const removed = events.find((e) => e.type === 'ContainerRemoved');
    if (removed) log(`storm: ${byType.ContainerRemoved} ContainerRemoved; the first in context:\n${all.filter((e) => e.seq <= removed.seq + 3 && e.seq >= removed.seq - 8).map((e) => `#${e.seq} +${e.at - t0} ms ${e.source} ${e.type} ${e.app ?? ''} ${JSON.stringify(e.data).slice(0, 200)}`).join('\n')}`);
    return figures;
  } finally {
    if (daemon.exitCode() === null) expect(await daemon.stop()).toBe(0);
    await cleanupPodman(prefix, s.network);
  }
}
