// Packing a build context for podman follows links only as the manifest check did (`links`), so what
// the build reads is what was checked; podman is a fake here that unpacks what it is sent.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../../src/act/errors.js';
import { buildImage } from '../../../src/act/image.js';

let dir: string;
let app: string;
let host: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podledger-image-'));
  app = join(dir, 'apps', 'web');
  host = join(dir, 'host');
  await mkdir(app, { recursive: true });
  await mkdir(host);
  await writeFile(join(app, 'Containerfile'), 'FROM scratch\nCOPY tool /tool\n');
  await writeFile(join(host, 'tool'), 'a host binary\n');
  await writeFile(join(host, 'secret'), 'the node key\n');
  await symlink(join(host, 'tool'), join(app, 'tool'));
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** A podman that unpacks the context it is sent into `out` and reports one build line. */
function fakePodman(out: string) {
  const calls: string[] = [];
  const docker = {
    async buildImage(context: NodeJS.ReadableStream, options: { t: string }) {
      calls.push(options.t);
      await pipeline(context, tar.extract(out));
      return context;
    },
    modem: {
      followProgress(_s: unknown, done: (err: Error | null) => void, onLine: (line: { stream: string }) => void) {
        onLine({ stream: 'STEP 1/2: FROM scratch' });
        done(null);
      },
    },
  };
  return { docker: docker as unknown as Docker, calls };
}

describe('buildImage', () => {
  const req = { tag: 'localhost/podledger/web:1', containerfile: 'Containerfile', args: {} };

  it('given a link to a host file the policy lists, when built, then podman receives the file it leads to', async () => {
    const out = join(dir, 'out');
    const { docker, calls } = fakePodman(out);
    const lines: string[] = [];
    await buildImage(docker, { ...req, context: app, links: { appDir: app, hostFiles: [join(host, 'tool')] } }, (l) => lines.push(l));
    expect(calls).toEqual([req.tag]);
    expect(await readFile(join(out, 'tool'), 'utf8')).toBe('a host binary\n');
    expect(lines).toEqual(['STEP 1/2: FROM scratch']);
  });

  it('given a link to a host file the policy does not list, when built, then it fails before podman is asked', async () => {
    const { docker, calls } = fakePodman(join(dir, 'out'));
    await symlink(join(host, 'secret'), join(app, 'key'));
    const built = buildImage(docker, { ...req, context: app, links: { appDir: app, hostFiles: [join(host, 'tool')], policyFile: '/etc/podledger/policy.yml' } }, () => {});
    await expect(built).rejects.toThrow(new ActionError('build-failed',
      `cannot build image: ${req.tag} from ${app}: key is a link to ${host}/secret, outside the app folder: not allowed by the node policy; to allow it, add ${host}/secret under build_host_files in /etc/podledger/policy.yml`));
    expect(calls).toEqual([]);
  });

  it('given no link rules (an executor that does not pass them), when built, then every link is followed as before', async () => {
    const out = join(dir, 'out');
    await symlink(join(host, 'secret'), join(app, 'key'));
    await buildImage(fakePodman(out).docker, { ...req, context: app }, () => {});
    expect(await readFile(join(out, 'key'), 'utf8')).toBe('the node key\n');
  });
});
