// A podman that accepts a request and never answers (seen once across a service restart) must not
// hold the inventory, and with it the podman turn, for minutes: reads time out and fail cleanly.
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { podmanClient, ping } from '../../../src/podman/client.js';
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
});
