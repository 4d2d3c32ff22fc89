// The podman client: dockerode over podman's Docker-compatible socket.
import Docker from 'dockerode';
import { errorCode, PodmanUnreachableError } from './errors.js';

export function podmanClient(socketPath: string): Docker {
  return new Docker({ socketPath, timeout: 120_000 });
}

/** Fails with a PodmanUnreachableError that says how to start podman. */
export async function ping(docker: Docker, socketPath: string): Promise<void> {
  try {
    await docker.ping();
  } catch (cause) {
    throw new PodmanUnreachableError(socketPath, errorCode(cause), { cause });
  }
}
