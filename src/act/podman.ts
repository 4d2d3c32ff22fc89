// The podman client: dockerode over podman's Docker-compatible socket.
import Docker from 'dockerode';
import { errorCode, PodmanUnreachableError } from './errors.js';

/** Calls time out, so a hung podman becomes a failed action rather than a stuck reconciler. */
export function podmanClient(socketPath: string, timeoutMs = ACTION_TIMEOUT_MS): Docker {
  return new Docker({ socketPath, timeout: timeoutMs });
}

/** Actions may wait on podman a long time (a stop waits for the container's stop timeout). */
const ACTION_TIMEOUT_MS = 120_000;
/**
 * Reads (ping, list, inspect) answer in milliseconds: one that hangs (seen once, across a podman
 * service restart) must not hold the podman turn for minutes, during which no death is noticed.
 */
export const READ_TIMEOUT_MS = 10_000;

/** For the event stream only: it is quiet for long stretches, which an idle timeout would cut. */
export function podmanStreamClient(socketPath: string): Docker {
  return new Docker({ socketPath });
}

/** Fails with a PodmanUnreachableError that says how to start podman. */
export async function ping(docker: Docker, socketPath: string): Promise<void> {
  try {
    await docker.ping();
  } catch (cause) {
    throw new PodmanUnreachableError(socketPath, errorCode(cause), { cause });
  }
}
