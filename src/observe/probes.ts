// One health probe of a container. http and tcp connect to the container's own address on its
// network (`src/podman/address.ts` reads it); exec asks podman to run the container's health command
// (libpod's healthcheck endpoint). Each says what it saw in a short line that is safe to record:
// a status code or a connection error, and for exec only the exit code (its output may hold secrets).
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ContainerSpec } from '../core/spec-schema.js';

export type HealthSpec = NonNullable<ContainerSpec['healthCheck']>;

/** What one probe saw: `output` is e.g. `10.88.0.5:8080: HTTP 200`, `…: ECONNREFUSED`, `exit code 1`. */
export interface ProbeResult {
  ok: boolean;
  output: string;
  latencyMs: number;
}

/** An output longer than this is cut: it is recorded, and it comes from what a container answered. */
export const PROBE_OUTPUT_MAX = 200;

type Outcome = { ok: boolean; output: string };

/**
 * One probe, bounded by the check's timeout. `host`: the container's address (for http and tcp),
 * or why there is none, which is the probe's failure.
 */
export async function probe(check: HealthSpec, id: string, host: { ok: true; host: string } | { ok: false; why: string }, socketPath: string): Promise<ProbeResult> {
  const started = performance.now();
  const outcome = await (async (): Promise<Outcome> => {
    if (check.type === 'exec') return execProbe(socketPath, id, check.timeoutMs);
    if (!host.ok) return { ok: false, output: `no address: ${host.why}` };
    const port = check.port ?? 0;
    const where = `${host.host.includes(':') ? `[${host.host}]` : host.host}:${port}`;
    const seen = check.type === 'http' ? await httpProbe(host.host, port, check.path ?? '/', check.timeoutMs) : await tcpProbe(host.host, port, check.timeoutMs);
    return { ok: seen.ok, output: `${where}: ${seen.output}` };
  })();
  return { ok: outcome.ok, output: outcome.output.slice(0, PROBE_OUTPUT_MAX), latencyMs: Math.round(performance.now() - started) };
}

const failed = (err: NodeJS.ErrnoException): Outcome => ({ ok: false, output: err.code ?? err.message });

function httpProbe(host: string, port: number, path: string, timeout: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 400, output: `HTTP ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(failed(err)));
  });
}

function tcpProbe(host: string, port: number, timeout: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout }, () => {
      socket.destroy();
      resolve({ ok: true, output: 'connected' });
    });
    socket.on('timeout', () => socket.destroy(new Error(`no connection within ${timeout} ms`)));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(failed(err)));
  });
}

/** podman runs the container's Healthcheck command; only its exit code is kept (output may hold secrets). */
function execProbe(socketPath: string, id: string, timeout: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: `/v4.0.0/libpod/containers/${id}/healthcheck`, timeout: timeout + 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ ok: false, output: `podman healthcheck: HTTP ${res.statusCode}` });
        try {
          const r = JSON.parse(body) as { Status?: string; Log?: { ExitCode?: number }[] };
          const exit = r.Log?.at(-1)?.ExitCode;
          resolve({ ok: exit === 0 || (exit === undefined && r.Status === 'healthy'), output: `exit code ${exit ?? '?'}` });
        } catch {
          resolve({ ok: false, output: 'podman healthcheck: unreadable answer' });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('podman healthcheck did not answer')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(failed(err)));
  });
}
