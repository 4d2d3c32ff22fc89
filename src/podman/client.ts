// The podman client: dockerode over podman's Docker-compatible socket.
import http from 'node:http';
import { createRequire, Module } from 'node:module';
import type Docker from 'dockerode';
import { errorCode, PodmanUnreachableError, podmanMessage } from './errors.js';
import { assertUnixSocket } from './socket.js';

/**
 * dockerode, loaded on first use: it loads ssh2 and gRPC (for remote hosts and BuildKit sessions,
 * neither used over a local socket), about 0.5 s of CPU that the offline commands (replay, why,
 * events, status of a log) never need.
 */
let dockerode: Promise<typeof Docker> | undefined;
declare const PODLEDGER_BUNDLED: boolean | undefined;
const load = (): Promise<typeof Docker> => (dockerode ??= Promise.resolve().then(deferUnusedParts).then(() => import('dockerode')).then((m) => m.default));

/**
 * docker-modem's ssh transport (ssh2) and dockerode's BuildKit session (gRPC, protobufjs) are loaded
 * with dockerode but used only for `ssh://` hosts and `version: '2'` builds, neither of which
 * podledger asks for: they held ~13 MB of an idle daemon's RSS (175 of the 231 modules dockerode
 * loads). Their entry points are put in the module cache as stand-ins that load the real module on
 * first call, so nothing changes if one is ever used.
 */
function deferUnusedParts(): void {
  if (typeof PODLEDGER_BUNDLED === 'boolean') return; // the bundle defers them itself (src/tools/bundle-lazy.ts)
  try {
    standIns();
  } catch {
    // another dockerode layout: it loads whole, as it did before (memory only, never behaviour)
  }
}

function standIns(): void {
  const require = createRequire(import.meta.url);
  const docker = createRequire(require.resolve('dockerode'));
  const modem = createRequire(docker.resolve('docker-modem'));
  for (const [from, file] of [[modem, './ssh'], [docker, './session']] as const) {
    const path = from.resolve(file);
    if (from.cache[path]) continue;
    let real: ((...args: unknown[]) => unknown) | undefined;
    const standIn = new Module(path);
    standIn.filename = path;
    standIn.loaded = true;
    standIn.exports = function (this: unknown, ...args: unknown[]) {
      if (!real) {
        delete from.cache[path];
        real = from(path) as (...args: unknown[]) => unknown;
      }
      return real.apply(this, args);
    };
    from.cache[path] = standIn;
  }
}

/** Calls time out, so a hung podman becomes a failed action rather than a stuck reconciler. */
export async function podmanClient(socketPath: string, timeoutMs = ACTION_TIMEOUT_MS): Promise<Docker> {
  assertUnixSocket(socketPath);
  return new (await load())({ socketPath, timeout: timeoutMs });
}

/** Actions may wait on podman a long time (a stop waits for the container's stop timeout). */
const ACTION_TIMEOUT_MS = 120_000;
/**
 * Reads (ping, list, inspect) answer in milliseconds: one that hangs (seen once, across a podman
 * service restart) must not hold the podman turn for minutes, during which no death is noticed.
 */
export const READ_TIMEOUT_MS = 10_000;

/** For the event stream only: it is quiet for long stretches, which an idle timeout would cut. */
export async function podmanStreamClient(socketPath: string): Promise<Docker> {
  assertUnixSocket(socketPath);
  return new (await load())({ socketPath });
}

/** Fails with a PodmanUnreachableError that says how to start podman. */
export async function ping(docker: Docker, socketPath: string): Promise<void> {
  try {
    await docker.ping();
  } catch (cause) {
    throw new PodmanUnreachableError(socketPath, errorCode(cause), { cause });
  }
}

/**
 * Every container, as `GET /containers/json?all=true` lists them. podman lists the ids it holds, then
 * reads each one's state; a container removed (or half made) in between fails the whole list with a
 * 500 "no such container" / "does not exist in database", though podman is fine. That is a race, not
 * an outage: ask again a few times before reporting it, so the daemon does not take podman for down.
 */
const LIST_RACE = /no such container|does not exist in database|container not known/i;

export async function listAllContainers(docker: Docker, tries = 5): Promise<Docker.ContainerInfo[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await docker.listContainers({ all: true });
    } catch (err) {
      if (attempt >= tries || !LIST_RACE.test(podmanMessage(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/**
 * A ping that also says podman's version, from the answer's `Libpod-Api-Version` header (podman's
 * own version; undefined from a server that does not send it). Asking /version instead costs podman
 * ~0.5 s of its CPU on 4.3 (it asks conmon and the runtime for theirs), taken from the start-up's
 * first creates. Fails with a PodmanUnreachableError, as ping does.
 */
export function pingVersion(socketPath: string, timeoutMs = READ_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const unreachable = (code: string, cause: unknown) => reject(new PodmanUnreachableError(socketPath, code, { cause }));
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      const said = res.headers['libpod-api-version'];
      if (res.statusCode === 200) resolve(typeof said === 'string' && said !== '' ? said : undefined);
      else unreachable(`http-${res.statusCode}`, new Error(`podman answered its ping with HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => unreachable(errorCode(err), err));
  });
}
