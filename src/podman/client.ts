// The podman client: dockerode over podman's Docker-compatible socket.
import type Docker from 'dockerode';
import { errorCode, PodmanUnreachableError, podmanMessage } from './errors.js';
import { assertUnixSocket } from './socket.js';

/**
 * dockerode, loaded on first use: it loads ssh2 and gRPC (for remote hosts and BuildKit sessions,
 * neither used over a local socket), about 0.5 s of CPU that the offline commands (replay, why,
 * events, status of a log) never need.
 */
let dockerode: Promise<typeof Docker> | undefined;
const load = (): Promise<typeof Docker> => (dockerode ??= import('dockerode').then((m) => m.default));

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
