import { describe, expect, it } from 'vitest';
import { PodmanSocketError } from '../../../src/podman/errors.js';
import { assertUnixSocket, defaultPodmanSocket, ROOTFUL_PODMAN_SOCKET } from '../../../src/podman/socket.js';

describe('defaultPodmanSocket', () => {
  it('given no CONTAINER_HOST, when the default is asked, then it is rootful podman socket', () => {
    expect(defaultPodmanSocket({})).toBe('/run/podman/podman.sock');
    expect(defaultPodmanSocket({ CONTAINER_HOST: ' ' })).toBe(ROOTFUL_PODMAN_SOCKET);
  });
  it('given CONTAINER_HOST=unix:///PATH, when the default is asked, then it is PATH', () => {
    expect(defaultPodmanSocket({ CONTAINER_HOST: 'unix:///run/user/1000/podman/podman.sock' })).toBe('/run/user/1000/podman/podman.sock');
  });
  it('given CONTAINER_HOST over ssh, when a client would use it, then it is refused by name rather than replaced by the rootful socket', () => {
    const host = 'ssh://core@node:22/run/podman/podman.sock';
    expect(defaultPodmanSocket({ CONTAINER_HOST: host })).toBe(host);
    expect(() => assertUnixSocket(host)).toThrow(PodmanSocketError);
    expect(() => assertUnixSocket(host)).toThrow(/cannot use podman at ssh:\/\/core@node:22\/run\/podman\/podman.sock: .*unix socket only.*; pass --podman-socket PATH/);
    expect(() => assertUnixSocket('/run/podman/podman.sock')).not.toThrow();
  });
});
