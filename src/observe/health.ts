// Health probes, run by the engine: podman's own scheduler needs systemd, which many nodes lack.
// http and tcp probe the published port from the host; exec asks podman to run the container's
// health command (libpod's healthcheck endpoint). Only a change of status is recorded.
import http from 'node:http';
import net from 'node:net';
import type { HealthStatus } from '../core/events.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import type { State } from '../core/state.js';

type HealthSpec = NonNullable<ContainerSpec['healthCheck']>;
export type ProbeResult = { ok: true } | { ok: false; detail: string };

export interface ProbeTarget {
  app: string;
  id: string;
  spec: ContainerSpec;
  check: HealthSpec;
  startedAt: number;
}

/** One probe, bounded by the check's timeout. */
export function probe(target: ProbeTarget, socketPath: string): Promise<ProbeResult> {
  const { check, spec } = target;
  const timeout = check.timeoutMs;
  if (check.type === 'exec') return execProbe(socketPath, target.id, timeout);
  const published = spec.ports.find((p) => p.container === check.port);
  const hostNet = spec.network === 'host';
  const port = hostNet ? check.port : published?.host;
  if (port === undefined) return Promise.resolve({ ok: false, detail: `port ${check.port} is not published` });
  const host = published?.hostIp && published.hostIp !== '0.0.0.0' ? published.hostIp : '127.0.0.1';
  return check.type === 'http' ? httpProbe(host, port, check.path ?? '/', timeout) : tcpProbe(host, port, timeout);
}

function httpProbe(host: string, port: number, path: string, timeout: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, detail: `HTTP ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

function tcpProbe(host: string, port: number, timeout: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout }, () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.on('timeout', () => socket.destroy(new Error(`no connection within ${timeout} ms`)));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

/** podman runs the container's Healthcheck command; only its exit code is kept (output may hold secrets). */
function execProbe(socketPath: string, id: string, timeout: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: `/v4.0.0/libpod/containers/${id}/healthcheck`, timeout: timeout + 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ ok: false, detail: `podman healthcheck: HTTP ${res.statusCode}` });
        try {
          const r = JSON.parse(body) as { Status?: string; Log?: { ExitCode?: number }[] };
          const exit = r.Log?.at(-1)?.ExitCode;
          resolve(exit === 0 || (exit === undefined && r.Status === 'healthy') ? { ok: true } : { ok: false, detail: `exit code ${exit ?? '?'}` });
        } catch {
          resolve({ ok: false, detail: 'podman healthcheck: unreadable answer' });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('podman healthcheck did not answer')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

/** The status after one more probe result: failures in the start period do not count. */
export function nextStatus(
  current: { status: HealthStatus; streak: number },
  result: ProbeResult,
  check: HealthSpec,
  startedAt: number,
  now: number,
): { status: HealthStatus; streak: number } {
  if (result.ok) return { status: 'healthy', streak: 0 };
  if (now < startedAt + check.startPeriodMs && current.status !== 'healthy') return { status: current.status, streak: 0 };
  const streak = current.streak + 1;
  return { status: streak >= check.retries ? 'unhealthy' : current.status, streak };
}

export interface HealthMonitorDeps {
  socketPath: string;
  targets: () => ProbeTarget[];
  /** the status the projection holds for a container */
  recorded: (app: string, id: string) => HealthStatus | undefined;
  report: (target: ProbeTarget, status: HealthStatus, streak: number, detail?: string) => Promise<void>;
  clock: () => number;
  onError: (err: unknown) => void;
}

/**
 * While a container is starting it is probed often, so dependents waiting on `healthy` start as soon
 * as it is; failures then still only count after start_period, and at most once per interval. Once
 * it has a verdict: every interval. (A container is first probed as soon as it is seen running.)
 */
export function nextProbeIn(status: HealthStatus, check: HealthSpec): number {
  return status === 'starting' ? Math.min(check.intervalMs, STARTING_PROBE_MS) : check.intervalMs;
}

const STARTING_PROBE_MS = 100;
/**
 * A starting container's failures count from this long after it was first seen (where its first
 * probe used to be), then once per interval: probing sooner and more often finds the first success
 * sooner without making `retries` failures come sooner.
 */
const FIRST_COUNTED_FAILURE_MS = 250;

/** One probe loop per running container with a health check; loops follow the set of targets. */
export class HealthMonitor {
  readonly #deps: HealthMonitorDeps;
  readonly #loops = new Map<string, { timer: NodeJS.Timeout; status: HealthStatus; streak: number; startedAt: number; seenAt: number; failureCountedAt?: number }>();
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
      this.#loops.set(id, { timer: setTimeout(() => void this.#tick(id), 0), status: 'starting', streak: 0, startedAt: t.startedAt, seenAt: this.#deps.clock() });
    }
  }

  async #tick(id: string): Promise<void> {
    const loop = this.#loops.get(id);
    const target = this.#deps.targets().find((t) => t.id === id);
    if (!loop || !target || this.#closed) return;
    if (target.startedAt !== loop.startedAt) Object.assign(loop, { status: 'starting', streak: 0, startedAt: target.startedAt, seenAt: this.#deps.clock(), failureCountedAt: undefined }); // restarted
    try {
      const result = await probe(target, this.#deps.socketPath);
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
      if (this.#deps.recorded(target.app, id) !== next.status) {
        await this.#deps.report(target, next.status, next.streak, result.ok ? undefined : result.detail);
      }
    } catch (err) {
      this.#deps.onError(err);
    }
    if (this.#loops.get(id) === loop && !this.#closed) loop.timer = setTimeout(() => void this.#tick(id), nextProbeIn(loop.status, target.check));
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
