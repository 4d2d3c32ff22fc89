// Helpers for tests of the `podman` project: the podman CLI against the run's isolated store
// (see ./podman-global.ts), inspect, polling, unique names, and locally built busybox images.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { runCommand, type CommandResult } from './process.js';
import type { PodmanTestEnv } from './podman-global.js';

export type { PodmanTestEnv } from './podman-global.js';

/** The isolated podman service of this test run. */
export function podmanEnv(): PodmanTestEnv {
  let provided: PodmanTestEnv | undefined;
  try {
    provided = inject('podman');
  } catch {
    provided = undefined; // outside a vitest worker
  }
  if (provided) return provided;
  const socket = process.env.PODLEDGER_TEST_SOCKET;
  const args = process.env.PODLEDGER_TEST_PODMAN_ARGS;
  const containersConf = process.env.PODLEDGER_TEST_CONTAINERS_CONF;
  if (!socket || !args || !containersConf) {
    throw new Error(
      'no isolated podman service for this test: podman tests belong under test/podman/ and run in the ' +
        "'podman' vitest project (npx vitest run --project podman), whose globalSetup starts the service",
    );
  }
  return { socket, args: args.split(' '), containersConf, dir: dirname(socket), log: join(dirname(socket), 'service.log') };
}

export type { CommandResult } from './process.js';

/** Run the podman CLI against the isolated store. Never throws on a non-zero exit: check `code`. */
export function podmanCli(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = podmanEnv();
  return runCommand('podman', [...env.args, ...args], {
    env: { ...process.env, CONTAINERS_CONF: env.containersConf },
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

/** Like podmanCli, but a non-zero exit is an error naming the command and its stderr. */
export async function podmanOk(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await podmanCli(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** What tests usually read of `podman container inspect`; everything else is there too. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  State: { Status: string; Running: boolean; ExitCode: number; Pid: number; StartedAt: string; FinishedAt: string };
  Config: { Env: string[] | null; Labels: Record<string, string> | null; Image: string; Cmd: string[] | null; Entrypoint: string[] | string | null };
  HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null; Binds: string[] | null };
  NetworkSettings: { Networks?: Record<string, { IPAddress: string; Aliases: string[] | null }> };
  [key: string]: unknown;
}

/** `podman container inspect NAME`, parsed; undefined when there is no such container. */
export async function inspect(name: string): Promise<ContainerInspect | undefined> {
  const r = await podmanCli(['container', 'inspect', name]);
  if (r.code !== 0) {
    if (/no such (container|object)/i.test(r.stderr)) return undefined;
    throw new Error(`podman container inspect ${name} exited ${r.code}: ${r.stderr.trim()}`);
  }
  const parsed = JSON.parse(r.stdout) as ContainerInspect[];
  return parsed[0];
}

/** The container's environment as an object (from inspect). */
export function envOf(c: ContainerInspect): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of c.Config.Env ?? []) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

export interface WaitOptions {
  /** default 30 s */
  timeoutMs?: number;
  /** default 250 ms */
  intervalMs?: number;
  /** what we are waiting for, for the error message: "container demo-web running" */
  what: string;
}

/**
 * Poll `predicate` until it returns a truthy value, and return that value. A predicate that throws
 * counts as "not yet"; on timeout the error names `what`, the time waited, and the last throw or value.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions): Promise<Exclude<T, false | undefined | null | 0 | ''>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 250;
  const started = Date.now();
  let last: string = 'never evaluated';
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Exclude<T, false | undefined | null | 0 | ''>;
      last = `last value: ${JSON.stringify(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() - started >= timeoutMs) {
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${opts.what} (${last})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A name unique to this test run, for containers and especially networks: on a rootful host
 * netavark's IPAM and DNS state (/run/containers/networks) is keyed by network name and shared by
 * every podman store, so two stores using one network name disturb each other.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export const BUSYBOX_CONTAINERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox","--install","-s","/bin"]',
].join('\n');

/**
 * Write a busybox build context into `dir`: a copy of /bin/busybox (busybox-static), a Containerfile
 * (BUSYBOX_CONTAINERFILE plus `extraLines`), and `files` (name → content) beside it.
 */
export async function writeBusyboxContext(
  dir: string,
  opts: { extraLines?: string[]; files?: Record<string, string> } = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'busybox'));
  await writeFile(join(dir, 'Containerfile'), [BUSYBOX_CONTAINERFILE, ...(opts.extraLines ?? []), ''].join('\n'));
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** `podman build -t TAG -f Containerfile DIR` in the isolated store; returns the image id. */
export async function buildImage(tag: string, contextDir: string, containerfile = 'Containerfile'): Promise<string> {
  const out = await podmanOk(['build', '-q', '-t', tag, '-f', join(contextDir, containerfile), contextDir], { timeoutMs: 120_000 });
  return out.trim().split('\n').pop() ?? '';
}

/** A raw request to the isolated service's API (Docker-compatible, or libpod under /v4.0.0/libpod). */
export function podmanApi(
  path: string,
  opts: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: string; json<T = unknown>(): T }> {
  const { socket } = podmanEnv();
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        path,
        method: opts.method ?? 'GET',
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: <T>() => JSON.parse(body) as T }));
      },
    );
    req.on('error', (err) => reject(new Error(`podman API ${opts.method ?? 'GET'} ${path} on ${socket}: ${err.message}`, { cause: err })));
    req.end(payload);
  });
}


/** Remove every container whose name starts with `prefix` (a test's own), whatever state it is in. */
export async function removeContainers(prefix: string): Promise<void> {
  const names = (await podmanOk(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter((n) => n.startsWith(prefix));
  if (names.length > 0) await podmanOk(['rm', '-f', '-t', '0', ...names]);
}

/** The container, if it exists and runs; for `waitFor`. */
export async function running(name: string): Promise<ContainerInspect | undefined> {
  const c = await inspect(name);
  return c?.State.Running ? c : undefined;
}
