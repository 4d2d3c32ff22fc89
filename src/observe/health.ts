// Health verdicts, reached by the engine's own probes: podman's scheduler needs systemd, which many
// nodes lack. Each running container with a check has a probe loop (`probes.ts` makes one probe); a
// change of verdict, and a change of what the probes see, is recorded.
import type { HealthStatus } from '../core/events.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import type { State } from '../core/state.js';
import type { ProbeHost } from '../podman/address.js';
import { probe, type HealthSpec, type ProbeResult } from './probes.js';

export interface ProbeTarget {
  app: string;
  id: string;
  spec: ContainerSpec;
  check: HealthSpec;
  startedAt: number;
}

/** The status after one more probe result: failures in the start period do not count. */
export function nextStatus(
  current: { status: HealthStatus; streak: number },
  result: { ok: boolean },
  check: HealthSpec,
  startedAt: number,
  now: number,
): { status: HealthStatus; streak: number } {
  if (result.ok) return { status: 'healthy', streak: 0 };
  if (now < startedAt + check.startPeriodMs && current.status !== 'healthy') return { status: current.status, streak: 0 };
  const streak = current.streak + 1;
  return { status: streak >= check.retries ? 'unhealthy' : current.status, streak };
}

/** What a probe changed, to be recorded: the verdict, what the probes see, or both. */
export interface HealthReport {
  health?: { status: HealthStatus; streak: number; detail?: string };
  probe?: ProbeResult;
}

export interface HealthMonitorDeps {
  socketPath: string;
  targets: () => ProbeTarget[];
  /** where an http or tcp check reaches the container (from podman inspect) */
  address: (target: ProbeTarget) => Promise<ProbeHost>;
  /** the status the projection holds for a container */
  recorded: (app: string, id: string) => HealthStatus | undefined;
  /** what the last probe the projection holds for a container saw */
  recordedProbe: (app: string, id: string) => { ok: boolean; output: string } | undefined;
  report: (target: ProbeTarget, report: HealthReport) => Promise<void>;
  clock: () => number;
  onError: (err: unknown) => void;
}

/**
 * While a container is starting it is probed often, so dependents waiting on `healthy` start as soon
 * as it is; failures then still only count after start_period, and at most once per interval. Once
 * it has a verdict: every interval. (A container is first probed as soon as it is seen running.)
 * The first quick probes come sooner still, `probed` being how many it has had: 10, 20, 40, 80 ms
 * apart, then every 100 ms. A small server listens within tens of ms of its start, and a first probe
 * refused just before that used to wait a whole 100 ms, on every hop of a chain of dependencies.
 * (An http or tcp probe of a server not listening yet is one refused connection.)
 */
export function nextProbeIn(status: HealthStatus, check: HealthSpec, probed = Infinity): number {
  if (status !== 'starting') return check.intervalMs;
  // an exec check runs a process in the container through podman: not worth asking sooner
  const quick = check.type === 'exec' ? STARTING_PROBE_MS : FIRST_RETRY_MS * 2 ** Math.min(Math.max(probed - 1, 0), 8);
  return Math.min(check.intervalMs, STARTING_PROBE_MS, quick);
}

const STARTING_PROBE_MS = 100;
const FIRST_RETRY_MS = 10;
/** exec checks run inside the container through podman: no address to connect to */
const NOT_NEEDED: ProbeHost = { ok: false, why: 'exec checks need no address' };
/**
 * A starting container's failures count from this long after it was first seen (where its first
 * probe used to be), then once per interval: probing sooner and more often finds the first success
 * sooner without making `retries` failures come sooner.
 */
const FIRST_COUNTED_FAILURE_MS = 250;

interface Loop {
  timer: NodeJS.Timeout;
  status: HealthStatus;
  streak: number;
  startedAt: number;
  seenAt: number;
  /** probes of this run so far: the first retries of a starting container come sooner */
  probed: number;
  failureCountedAt?: number;
  /** the container's address for this run of it: read again after a restart, gone with the loop */
  address?: { startedAt: number; host: ProbeHost & { ok: true } };
}

/**
 * One probe loop per running container with a health check; loops follow the set of targets. A loop
 * is keyed by container id, so a recreated container (a new id) gets a new loop and reads its own
 * address: no probe goes to the address of the container it replaced.
 */
export class HealthMonitor {
  readonly #deps: HealthMonitorDeps;
  readonly #loops = new Map<string, Loop>();
  #closed = false;

  constructor(deps: HealthMonitorDeps) {
    this.#deps = deps;
  }

  /** Start loops for new targets, stop those whose container is gone, stopped or replaced. */
  sync(): void {
    if (this.#closed) return;
    const targets = new Map(this.#deps.targets().map((t) => [t.id, t]));
    for (const [id, loop] of this.#loops) {
      if (!targets.has(id)) {
        clearTimeout(loop.timer);
        this.#loops.delete(id);
      }
    }
    for (const [id, t] of targets) {
      if (this.#loops.has(id)) continue;
      // The first probe at once: a server that is up by the time its start is recorded is healthy now.
      this.#loops.set(id, { timer: setTimeout(() => void this.#tick(id), 0), status: 'starting', streak: 0, startedAt: t.startedAt, seenAt: this.#deps.clock(), probed: 0 });
    }
  }

  async #tick(id: string): Promise<void> {
    const loop = this.#loops.get(id);
    const target = this.#deps.targets().find((t) => t.id === id);
    if (!loop || !target || this.#closed) return;
    if (target.startedAt !== loop.startedAt) Object.assign(loop, { status: 'starting', streak: 0, startedAt: target.startedAt, seenAt: this.#deps.clock(), probed: 0, failureCountedAt: undefined }); // restarted
    try {
      const host = target.check.type === 'exec' ? NOT_NEEDED : await this.#address(loop, target);
      const result = await probe(target.check, id, host, this.#deps.socketPath);
      loop.probed += 1;
      const now = this.#deps.clock();
      // The quick probes of a starting container look for its first success; a failure counts only
      // once per interval, so `retries` keeps meaning retries × interval.
      const counts = result.ok || (now - loop.seenAt >= Math.min(target.check.intervalMs, FIRST_COUNTED_FAILURE_MS)
        && now - (loop.failureCountedAt ?? -Infinity) >= target.check.intervalMs);
      const next = counts ? nextStatus(loop, result, target.check, target.startedAt, now) : loop;
      if (!result.ok && counts) loop.failureCountedAt = now;
      loop.status = next.status;
      loop.streak = next.streak;
      if (this.#loops.get(id) !== loop) return; // stopped while probing
      const report = this.#changes(target, result, next);
      if (report.health || report.probe) await this.#deps.report(target, report);
    } catch (err) {
      this.#deps.onError(err);
    }
    if (this.#loops.get(id) === loop && !this.#closed) loop.timer = setTimeout(() => void this.#tick(id), nextProbeIn(loop.status, target.check, loop.probed));
  }

  /** What differs from the projection: the log keeps a probe's outcome only when it changes (latency aside). */
  #changes(target: ProbeTarget, result: ProbeResult, next: { status: HealthStatus; streak: number }): HealthReport {
    const last = this.#deps.recordedProbe(target.app, target.id);
    const report: HealthReport = {};
    if (!last || last.ok !== result.ok || last.output !== result.output) report.probe = result;
    if (this.#deps.recorded(target.app, target.id) !== next.status) {
      report.health = { status: next.status, streak: next.streak, ...(result.ok ? {} : { detail: result.output }) };
    }
    return report;
  }

  /**
   * The container's address, read once per run: podman gives a container its address when it
   * starts it. One that cannot be read yet is read again at the next probe.
   */
  async #address(loop: Loop, target: ProbeTarget): Promise<ProbeHost> {
    if (loop.address?.startedAt === target.startedAt) return loop.address.host;
    delete loop.address;
    let host: ProbeHost;
    try {
      host = await this.#deps.address(target);
    } catch (err) {
      host = { ok: false, why: `podman inspect failed: ${(err as Error).message}` };
    }
    if (host.ok) loop.address = { startedAt: target.startedAt, host };
    return host;
  }

  close(): void {
    this.#closed = true;
    for (const loop of this.#loops.values()) clearTimeout(loop.timer);
    this.#loops.clear();
  }
}

/** Running containers whose spec has a health check: what the health monitor probes. */
export function healthTargets(state: State): ProbeTarget[] {
  return Object.entries(state.containers).flatMap(([app, c]): ProbeTarget[] => {
    const spec = c.spec;
    if (c.status !== 'running' || !spec?.healthCheck) return [];
    return [{ app, id: c.id, spec, check: spec.healthCheck, startedAt: c.startedAt ?? c.statusAt }];
  });
}
