// Fault 4: a second daemon started on a running daemon's data dir. It must refuse with a clear
// message and a non-zero exit, and leave the first unaffected.
import { expect } from 'vitest';
import { type Daemon } from '../cli.js';
import { podmanOk, waitFor } from '../podman.js';
import { cleanupPodman, daemonOn, ours, scenario, waitConverged, type Fixture } from './scenario.js';
import { controlEvents, controlState, gapProblem, say, type Say } from './shared.js';

export interface TwoDaemonsFigures {
  secondExit: number;
  secondMs: number;
  message: string;
}

export async function twoDaemons(fx: Fixture, prefix: string, o: { say?: Say } = {}): Promise<TwoDaemonsFigures> {
  const log = o.say ?? say;
  const s = await scenario(fx, prefix);
  await s.apps.write('t0', { gen: 0, alt: false });
  const first = daemonOn(s);
  let second: Daemon | undefined;
  try {
    await waitConverged(s, 60_000, 't0 converged');
    const before = await controlState(s.data);
    const bootsBefore = (await controlEvents(s.data)).filter((e) => e.type === 'BootStarted').length;
    const t = Date.now();
    second = daemonOn(s);
    const code = await waitFor(() => second!.exitCode() ?? undefined, { timeoutMs: 40_000, what: 'the second daemon exits' });
    const took = Date.now() - t;
    const message = second.stderr().split('\n').filter((l) => l.startsWith('podledger:')).join('\n');
    expect(code, `second daemon's exit code; output:\n${second.output()}`).not.toBe(0);
    expect(message).toBe(`podledger: daemon: ${s.data}: another podledger daemon (pid ${first.pid}) is running on this data dir and holds its event log; `
      + `a node has one daemon: stop that one first (kill -TERM ${first.pid}), or give this one another --data`);

    // The first is unaffected: same process, same control socket, same boot, still acting.
    expect(first.exitCode()).toBeNull();
    const after = await controlState(s.data);
    expect(after.seq).toBeGreaterThanOrEqual(before.seq);
    expect((await controlEvents(s.data)).filter((e) => e.type === 'BootStarted').length).toBe(bootsBefore);
    const c = (await ours(prefix)).find((x) => x.app === 't0')!;
    await podmanOk(['kill', c.name]);
    await waitFor(async () => (await ours(prefix)).find((x) => x.app === 't0' && x.state === 'running' && x.id === c.id), { timeoutMs: 20_000, what: 'the first daemon restarts t0' });
    const events = await controlEvents(s.data);
    expect(gapProblem(events)).toBeUndefined();
    expect(events.every((e) => e.boot === before.state.boot || e.seq <= before.seq)).toBe(true);
    log(`two daemons: the second exited ${code} after ${took} ms: ${message}`);
    return { secondExit: code, secondMs: took, message };
  } finally {
    if (second && second.exitCode() === null) await second.stop().catch(() => undefined);
    expect(await first.stop()).toBe(0);
    await cleanupPodman(prefix, s.network);
  }
}
