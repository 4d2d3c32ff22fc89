// The podman test harness itself: the isolated service answers, and a locally built busybox image
// runs. If this file fails, every other podman test would fail for the same reason: fix this first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/cli.js';
import {
  buildImage,
  inspect,
  podmanApi,
  podmanCli,
  podmanEnv,
  podmanOk,
  uniqueName,
  waitFor,
  writeBusyboxContext,
} from '../support/podman.js';

describe('podman test harness', () => {
  let ctx: TempDir;
  const image = `localhost/podledger-harness:${uniqueName('t')}`;

  beforeAll(async () => {
    ctx = await makeTempDir('podledger-harness-ctx');
  });
  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('serves the API on an isolated socket and store', async () => {
    const env = podmanEnv();
    expect(env.socket).toMatch(/podledger-podman-test-.*\/podman\.sock$/);
    const ping = await podmanApi('/_ping');
    expect(ping).toMatchObject({ status: 200, body: 'OK' });

    const info = await podmanApi('/v4.0.0/libpod/info');
    const store = info.json<{ store: { graphRoot: string; runRoot: string } }>().store;
    expect(store.graphRoot.startsWith(env.dir)).toBe(true);
    expect(store.runRoot.startsWith(env.dir)).toBe(true);
    const runtime = info.json<{ host: { ociRuntime: { name: string } } }>().host.ociRuntime.name;
    expect(runtime).toBe('runc');
  });

  it('builds a busybox image from scratch and runs `echo hi` in it', async () => {
    await writeBusyboxContext(ctx.path);
    const id = await buildImage(image, ctx.path);
    expect(id).toMatch(/^[0-9a-f]{12,64}$/);

    const run = await podmanCli(['run', '--rm', image, 'echo', 'hi']);
    expect(run).toMatchObject({ code: 0, stdout: 'hi\n' });

    // The service (not just the CLI) sees the image: both use the same store.
    const images = await podmanApi('/v1.41/images/json');
    expect(images.json<{ RepoTags: string[] | null }[]>().flatMap((i) => i.RepoTags ?? [])).toContain(image);
  });

  it('reports a failing command as a non-zero code, and inspect/waitFor work', async () => {
    const name = uniqueName('harness');
    await podmanOk(['run', '-d', '--name', name, image, 'sh', '-c', 'sleep 0.3; exit 3']);
    const exited = await waitFor(async () => {
      const c = await inspect(name);
      return c?.State.Status === 'exited' ? c : undefined;
    }, { what: `container ${name} to exit`, timeoutMs: 20_000 });
    expect(exited.State.ExitCode).toBe(3);
    await podmanOk(['rm', '-f', name]);
    expect(await inspect(name)).toBeUndefined();

    await expect(waitFor(() => false, { what: 'something that never happens', timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      /timed out after \d+ ms waiting for something that never happens/,
    );
  });
});
