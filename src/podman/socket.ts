// Where podman's API socket is, found the way podman's own tools find it (podman-remote, the
// docker-compatible clients): $CONTAINER_HOST when it is set, else rootful podman's default.
import { PodmanSocketError } from './errors.js';

/** Rootful podman's API socket (podman.socket). */
export const ROOTFUL_PODMAN_SOCKET = '/run/podman/podman.sock';

const UNIX = 'unix://';

/**
 * `CONTAINER_HOST=unix:///run/podman/podman.sock` gives `/run/podman/podman.sock`. Any other scheme
 * (ssh://, tcp://) is returned as it is, for podmanClient to refuse by name: podledger speaks to
 * podman over a local unix socket only, and quietly using the rootful default instead would act on
 * another podman than the one the environment names.
 */
export function defaultPodmanSocket(env: NodeJS.ProcessEnv): string {
  const host = env.CONTAINER_HOST?.trim();
  if (!host) return ROOTFUL_PODMAN_SOCKET;
  return host.startsWith(UNIX) ? host.slice(UNIX.length) : host;
}

/** A socket given as a URL of another kind than a unix path is refused, naming it and what to give instead. */
export function assertUnixSocket(socket: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(socket)) throw new PodmanSocketError(socket);
}
