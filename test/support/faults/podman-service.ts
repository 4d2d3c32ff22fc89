// Fault 2: the podman API service killed (SIGKILL or SIGTERM) and restarted under a running daemon,
// with a container killed while it is down. The same daemon must resync and start it again.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type Daemon } from '../cli.js';
import { podmanApi, podmanEnv, podmanOk, waitFor } from '../podman.js';
import { cleanupPodman, daemonOn, ours, replayCheck, scenario, waitConverged, type Fixture } from './scenario.js';
import { alive, controlEvents, controlState, gapProblem, rng, rssKb, say, sleep, summary, type Say } from './shared.js';

/** Wait for `pattern` in what the daemon printed after `offset` (its output length at some moment). */
export async function outputAfter(d: Daemon, offset: number, pattern: RegExp | string, timeoutMs: number, what: string): Promise<string> {
  return waitFor(() => {
    const text = d.output().slice(offset);
    if (typeof pattern === 'string') return text.includes(pattern) ? pattern : undefined;
    return pattern.exec(text)?.[0];
  }, { timeoutMs, intervalMs: 50, what: `${what} (daemon pid ${d.pid}, exit ${d.exitCode()})` });
}

function servicePidFile(): string {
  return join(podmanEnv().dir, 'service.pid');
}

export function podmanServicePid(): number {
  return Number(readFileSync(servicePidFile(), 'utf8').trim());
}

export async function servicePing(): Promise<boolean> {
  try {
    return (await podmanApi('/_ping')).status === 200;
  } catch {
    return false;
  }
}

/** Stop the run's podman API service (containers keep running under conmon); resolves once it is gone. */
export async function stopPodmanService(sig: NodeJS.Signals): Promise<number> {
  const pid = podmanServicePid();
  process.kill(pid, sig);
  await waitFor(() => !alive(pid), { timeoutMs: 20_000, intervalMs: 50, what: `podman service ${pid} gone after ${sig}` });
  return pid;
}

/**
 * Start the service again on the same socket and store (as test/podman/lifecycle.test.ts does) and
 * record its pid in service.pid, which the run's teardown stops.
 */
export async function startPodmanService(): Promise<number> {
  const env = podmanEnv();
  const logFd = openSync(env.log, 'a');
  const service = spawn('podman', [...env.args, 'system', 'service', '--time=0', `unix://${env.socket}`], {
    detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, CONTAINERS_CONF: env.containersConf },
  });
  closeSync(logFd);
  service.unref();
  if (service.pid === undefined) throw new Error('could not start podman system service');
  writeFileSync(servicePidFile(), String(service.pid));
  await waitFor(servicePing, { timeoutMs: 30_000, intervalMs: 50, what: 'the restarted podman service answering /_ping' });
  return service.pid;
}

export interface ServiceOptions {
  restarts: number;
  seed: number;
  say?: Say;
}

export interface ServiceFigures {
  restarts: number;
  /** service back (ping) to the container killed during the outage running again */
  recoveryMs: ReturnType<typeof summary>;
  /** service killed to the daemon saying the stream is lost */
  noticedLossMs: ReturnType<typeof summary>;
  daemonPid: number;
  rssKb: { before: number; after: number };
}

export async function podmanServiceRestarts(fx: Fixture, prefix: string, o: ServiceOptions): Promise<ServiceFigures> {
  const log = o.say ?? say;
  const r = rng(o.seed);
  const s = await scenario(fx, prefix);
  const ids = ['p0', 'p1', 'p2'];
  for (const id of ids) await s.apps.write(id, { gen: 0, alt: false });
  const daemon = daemonOn(s);
  const kills = new Map<string, number>();
  const recovery: number[] = [];
  const noticed: number[] = [];
  try {
    await waitConverged(s, 60_000, 'p0..p2 converged');
    const boots = (await controlEvents(s.data)).filter((e) => e.type === 'BootStarted').length;
    const rssBefore = rssKb(daemon.pid);
    for (let i = 1; i <= o.restarts; i++) {
      const victim = ids[(i - 1) % ids.length]!;
      const before = (await ours(prefix)).find((c) => c.app === victim)!;
      const offset = daemon.output().length;
      const sig: NodeJS.Signals = r.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      const downAt = Date.now();
      await stopPodmanService(sig);
      await outputAfter(daemon, offset, 'podman event stream lost', 20_000, `restart ${i}: the daemon notices the lost stream`);
      noticed.push(Date.now() - downAt);

      // While the service is down: a container dies, and the daemon keeps answering.
      await podmanOk(['kill', before.name]);
      await sleep(r.int(500, 2_000));
      expect(daemon.exitCode(), `restart ${i}: daemon still running while podman is down`).toBeNull();
      const during = await controlState(s.data);
      expect(during.state.containers[victim]?.status, 'the death is not seen while podman is down').toBe('running');

      await startPodmanService();
      const backAt = Date.now();
      await outputAfter(daemon, offset, 'podman event stream reconnected', 30_000, `restart ${i}: the daemon reconnects`);
      const again = await waitFor(async () => {
        const c = (await ours(prefix)).find((x) => x.app === victim && x.state === 'running' && x.id === before.id);
        return c && (await controlState(s.data)).state.containers[victim]?.status === 'running' ? c : undefined;
      }, { timeoutMs: 30_000, what: `restart ${i}: ${victim} started again after the podman restart` });
      recovery.push(Date.now() - backAt);
      expect(again.id).toBe(before.id);
      expect(daemon.exitCode(), 'same daemon process').toBeNull();
      expect(alive(daemon.pid)).toBe(true);

      // It was the resync that saw the death (the stream does not replay it), and a start followed.
      const since = during.seq;
      const after = await controlEvents(s.data, since);
      const exited = after.find((e) => e.app === victim && ((e.type === 'ContainerObserved' && e.data.state === 'exited' && e.data.id === before.id) || (e.type === 'ContainerExited' && e.data.id === before.id)));
      const story = after.map((e) => `#${e.seq} ${e.type}${e.app ? ` ${e.app}` : ''} ${JSON.stringify(e.data).slice(0, 120)}`).join('\n');
      expect(exited, `restart ${i}: the exit of ${victim} is in the log:\n${story}`).toBeDefined();
      const started = after.find((e) => e.type === 'ActionSucceeded' && e.app === victim && e.data.kind === 'start' && e.seq > exited!.seq);
      expect(started, `restart ${i}: a start of ${victim} follows its exit:\n${story}\ndaemon output:\n${daemon.output().slice(offset)}`).toBeDefined();
      log(`podman restart ${i}/${o.restarts} (${sig}): lost stream noticed in ${noticed.at(-1)} ms; ${victim} seen exited by ${exited!.source} (${exited!.type}), running again ${recovery.at(-1)} ms after the service was back`);

      // Two kills in a row would grow the crash-loop backoff; a new spec starts it over.
      kills.set(victim, (kills.get(victim) ?? 0) + 1);
      if ((kills.get(victim) ?? 0) >= 2) {
        const shape = s.apps.shapes.get(victim)!;
        await s.apps.write(victim, { ...shape, gen: shape.gen + 1 });
        kills.set(victim, 0);
      }
      await waitConverged(s, 30_000, `restart ${i}: converged again`);
    }
    const events = await controlEvents(s.data);
    expect(gapProblem(events)).toBeUndefined();
    expect(events.filter((e) => e.type === 'BootStarted').length, 'the daemon never restarted').toBe(boots);
    const rssAfter = rssKb(daemon.pid);
    await replayCheck(s.data);
    const figures: ServiceFigures = { restarts: o.restarts, recoveryMs: summary(recovery), noticedLossMs: summary(noticed), daemonPid: daemon.pid, rssKb: { before: rssBefore, after: rssAfter } };
    log(`podman restart figures: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    if (!(await servicePing())) await startPodmanService(); // never leave the run without its service
    if (daemon.exitCode() === null) expect(await daemon.stop()).toBe(0);
    await cleanupPodman(prefix, s.network);
  }
}
