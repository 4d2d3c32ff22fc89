// A podman that accepts a request and never answers (seen once across a service restart) must not
// hold the inventory, and with it the podman turn, for minutes: reads time out and fail cleanly.
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { podmanClient, ping, pingVersion } from '../../../src/podman/client.js';
import { PodmanUnreachableError } from '../../../src/podman/errors.js';
import { initialState } from '../../../src/core/state.js';
import { readInventory } from '../../../src/observe/inventory.js';

describe('podman reads against a podman that never answers', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function silentPodman(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'podledger-silent-'));
    const socket = join(dir, 'podman.sock');
    const held: net.Socket[] = [];
    const server = net.createServer((s) => void held.push(s)); // accepts, reads nothing, answers nothing
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    cleanup.push(async () => {
      held.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    });
    return socket;
  }

  it('given a client with a read timeout, when it pings, then the ping fails as podman unreachable once the timeout passes', async () => {
    const socket = await silentPodman();
    const err = await ping(await podmanClient(socket, 300), socket).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodmanUnreachableError);
  });

  it('given a client with a read timeout, when the inventory lists containers, then the read fails instead of waiting', async () => {
    const socket = await silentPodman();
    await expect(readInventory(await podmanClient(socket, 300), initialState, (v) => v)).rejects.toThrow();
  });

  it('given a podman that never answers, when pinged for its version, then the ping fails as podman unreachable once the timeout passes', async () => {
    const socket = await silentPodman();
    await expect(pingVersion(socket, 300)).rejects.toBeInstanceOf(PodmanUnreachableError);
  });
});

describe('a ping that says the version', () => {
  async function answering(headers: Record<string, string>, status = 200): Promise<{ socket: string; close(): Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), 'podledger-ping-'));
    const socket = join(dir, 'podman.sock');
    const server = http.createServer((req, res) => res.writeHead(req.url === '/_ping' ? status : 404, headers).end('OK'));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return { socket, close: async () => { await new Promise((r) => server.close(r)); await rm(dir, { recursive: true, force: true }); } };
  }

  it('given podman, when pinged, then its version is the one its answer names, with no /version call', async () => {
    const p = await answering({ 'Libpod-Api-Version': '4.3.1' });
    try {
      expect(await pingVersion(p.socket)).toBe('4.3.1');
    } finally {
      await p.close();
    }
  });

  it('given a server that names no version, when pinged, then it answers and the version is unknown', async () => {
    const p = await answering({});
    try {
      expect(await pingVersion(p.socket)).toBeUndefined();
    } finally {
      await p.close();
    }
  });

  it('given a server that answers its ping with an error, when pinged, then podman is unreachable, saying the status', async () => {
    const p = await answering({}, 500);
    try {
      await expect(pingVersion(p.socket)).rejects.toMatchObject({ name: 'PodmanUnreachableError', code: 'http-500' });
    } finally {
      await p.close();
    }
  });
});
