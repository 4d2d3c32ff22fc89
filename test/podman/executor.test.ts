// The executor's create on a real podman, with the calls it no longer makes on every create: the
// name is looked up only when podman refuses it (a leftover of ours is replaced, anyone else's left
// alone), the image is asked with libpod's existence check, the network checked at the same time
// (and made again if it was removed), and the inspect after the start handed on with the address.
import type Docker from 'dockerode';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/events.js';
import { fold } from '../../src/core/evolve.js';
import { LABELS } from '../../src/core/spec.js';
import type { State } from '../../src/core/state.js';
import { ActionError } from '../../src/act/errors.js';
import { execute, nameInUse, type ExecutorConfig } from '../../src/act/executor.js';
import { imageExists } from '../../src/act/image.js';
import { podmanClient } from '../../src/podman/client.js';
import { StartInspects } from '../../src/podman/address.js';
import { makeTempDir, type TempDir } from '../support/cli.js';
import { buildImage, inspect, podmanEnv, podmanOk, removeContainers, uniqueName, writeBusyboxContext } from '../support/podman.js';
import { envelopes, manifest, observed } from '../unit/core/builders.js';

const PREFIX = `ex${process.pid}`;
const IMAGE = `localhost/${PREFIX}-web:1`;
const NET = uniqueName(`${PREFIX}-net`);
const TRAP = "trap 'exit 0' TERM;";

let tmp: TempDir;
let docker: Docker;

beforeAll(async () => {
  tmp = await makeTempDir('podledger-executor');
  const serve = ['COPY www /www', `CMD ["/bin/sh","-c","${TRAP} httpd -f -p 8080 -h /www & wait"]`];
  await buildImage(IMAGE, await writeBusyboxContext(join(tmp.path, 'web'), { files: { 'www/index.html': 'ok\n' }, extraLines: serve }));
  docker = await podmanClient(podmanEnv().socket);
});

afterAll(async () => {
  await removeContainers(PREFIX).catch(() => undefined);
  await podmanOk(['network', 'rm', '-f', NET]).catch(() => undefined);
  await tmp?.cleanup();
});

/** One app on NET from `image` (never pulled), named `<prefix>-<app>`, with an http check. */
function catalog(app: string, image = IMAGE): State {
  return fold(envelopes([observed(app, manifest(app, {
    image, pull_policy: 'never', name: `${PREFIX}-${app}`, network: NET, stop_timeout: 1,
    health_check: { type: 'http', port: 8080, interval: '1s', timeout: '1s' },
  }))]));
}

function config(inspected: string[] = [], inspects?: StartInspects): ExecutorConfig {
  return {
    docker, patientClient: (ms) => podmanClient(podmanEnv().socket, ms), appsDir: tmp.path, nodeKey: Buffer.alloc(32), progress: () => undefined,
    onInspected: (id, info) => { inspected.push(id); inspects?.remember(id, info); },
  };
}

const create = (app: string): Action => ({ kind: 'create', app, reasons: [] });

async function failure(p: Promise<unknown>): Promise<ActionError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ActionError);
  return err as ActionError;
}

describe('the executor on a real podman', () => {
  it('given no container, when created, then it runs, its start time is podman\'s, and the inspect that read it gives the probe address', async () => {
    const inspected: string[] = [];
    const inspects = new StartInspects();
    const out = await execute(config(inspected, inspects), create('fresh'), catalog('fresh'));
    const c = await inspect(`${PREFIX}-fresh`);
    expect(c?.State.Running).toBe(true);
    expect(out.containerId).toBe(c?.Id);
    expect(out.startedAt).toBe(Date.parse(c!.State.StartedAt));
    expect(inspected).toEqual([c?.Id]);
    const host = inspects.take(c!.Id, NET, out.startedAt!);
    expect(host).toMatchObject({ ok: true });
    expect((host as { host: string }).host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // taken once, and never for another run of the container
    expect(inspects.take(c!.Id, NET, out.startedAt!)).toBeUndefined();
  });

  it('given a leftover of ours holding the name (a half-done recreate), when created, then it is replaced', async () => {
    const name = `${PREFIX}-left`;
    const old = (await podmanOk(['create', '--name', name, '--label', `${LABELS.app}=left`, IMAGE])).trim();
    const out = await execute(config(), create('left'), catalog('left'));
    const c = await inspect(name);
    expect(c?.State.Running).toBe(true);
    expect(c?.Id).toBe(out.containerId);
    expect(c?.Id).not.toBe(old);
  });

  it('given a container of someone else holding the name, when created, then the create fails as a name conflict and it is left alone', async () => {
    const name = `${PREFIX}-taken`;
    const other = (await podmanOk(['create', '--name', name, IMAGE])).trim();
    const err = await failure(execute(config(), create('taken'), catalog('taken')));
    expect(err.code).toBe('name-conflict');
    expect((await inspect(name))?.Id).toBe(other);
  });

  it('given an image that is not there and pull_policy never, when created, then it fails as image-missing and nothing is made', async () => {
    const err = await failure(execute(config(), create('noimage'), catalog('noimage', `localhost/${PREFIX}-absent:1`)));
    expect(err.code).toBe('image-missing');
    expect(await inspect(`${PREFIX}-noimage`)).toBeUndefined();
  });

  it('given the network removed under the daemon, when created, then it is made again and the container joins it', async () => {
    await podmanOk(['network', 'rm', '-f', NET]).catch(() => undefined);
    await execute(config(), create('nonet'), catalog('nonet'));
    const c = await inspect(`${PREFIX}-nonet`) as { NetworkSettings?: { Networks?: Record<string, unknown> } } | undefined;
    expect(Object.keys(c?.NetworkSettings?.Networks ?? {})).toContain(NET);
  });

  it('given an image name, when its existence is asked, then present and absent tags are told apart', async () => {
    expect(await imageExists(docker, IMAGE)).toBe(true);
    expect(await imageExists(docker, `localhost/${PREFIX}-web:2`)).toBe(false);
    expect(await imageExists(docker, `localhost/${PREFIX}-absent`)).toBe(false);
  });

  it('given podman refusing a create, when the refusal is read, then only a taken name counts as one', async () => {
    const body = { Image: IMAGE, HostConfig: { NetworkMode: NET } };
    const name = `${PREFIX}-dup`;
    await docker.createContainer({ name, ...body });
    const taken = await docker.createContainer({ name, ...body }).then(() => undefined, (e: unknown) => e);
    expect(nameInUse(taken)).toBe(true);
    const noImage = await docker.createContainer({ name: `${PREFIX}-dup2`, ...body, Image: `localhost/${PREFIX}-absent:1` }).then(() => undefined, (e: unknown) => e);
    expect(nameInUse(noImage)).toBe(false);
  });
});
