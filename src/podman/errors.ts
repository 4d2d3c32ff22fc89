// Typed failures of podman calls and what podman said, each naming what failed, which thing, and why.
import { PodledgerError } from '../core/errors.js';

export class PodmanUnreachableError extends PodledgerError {
  readonly exit = 'runtime';
  constructor(readonly socket: string, readonly code: string, options?: { cause?: unknown }) {
    super(
      `cannot reach podman at ${socket} (${code}): start it with 'podman system service --time=0 unix://${socket}' ` +
        `or 'systemctl enable --now podman.socket', or pass --podman-socket PATH`,
      options,
    );
    this.name = 'PodmanUnreachableError';
  }
}

export class PodmanSocketError extends PodledgerError {
  readonly exit = 'usage';
  constructor(readonly socket: string) {
    super(
      `cannot use podman at ${socket}: podledger reaches podman over a local unix socket only (from --podman-socket, ` +
        `$PODLEDGER_PODMAN_SOCKET or $CONTAINER_HOST); pass --podman-socket PATH or set CONTAINER_HOST=unix:///PATH`,
    );
    this.name = 'PodmanSocketError';
  }
}

export function errorCode(err: unknown): string {
  const e = err as { statusCode?: number; code?: string };
  if (e?.statusCode) return `http-${e.statusCode}`;
  return e?.code ?? 'error';
}

/** podman's own message from an API error, without dockerode's wrapping */
export function podmanMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}
