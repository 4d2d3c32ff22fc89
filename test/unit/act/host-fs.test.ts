// The daemon (root) writes into folders a container can write. Whatever a container plants there —
// a link at the file's name, at any temporary name, in place of a folder, or swapped in while the
// daemon works — no byte may land outside the app, and no owner may change outside it.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chownTree, ensureFolder, trustedAnchor, UnsafePathError, writeFileSafely } from '../../../src/act/host-fs.js';

let root: string; // plays the node's data root
let outside: string; // host files no app may touch
let app: string; // the app's bind source: the container writes here

beforeEach(async () => {
  const base = await mkdtemp(join(tmpdir(), 'podledger-hostfs-'));
  root = join(base, 'data');
  outside = join(base, 'host');
  app = join(root, 'app');
  await mkdir(join(app, 'conf'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'passwd'), 'host secret\n');
});
afterEach(async () => rm(join(root, '..'), { recursive: true, force: true }));

const hostUntouched = async () => {
  expect(await readFile(join(outside, 'passwd'), 'utf8')).toBe('host secret\n');
  expect((await readdir(outside)).sort()).toEqual(['passwd']);
};

describe('trustedAnchor', () => {
  it('given a path in the data root, then resolution starts at the data root', () => {
    expect(trustedAnchor('/var/lib/a/x/conf/f', '/var/lib/a', ['/var/lib/a/x'])).toBe('/var/lib/a');
  });
  it('given the data root itself (bound whole), then it is its own anchor: an admin\'s link there is followed', () => {
    expect(trustedAnchor('/var/lib/a', '/var/lib/a', ['/var/lib/a'])).toBe('/var/lib/a');
  });
  it('given a path outside the data root, then it starts above the outermost bind source holding it', () => {
    expect(trustedAnchor('/srv/x/y/conf/f', '/var/lib/a', ['/srv/x/y', '/srv/x'])).toBe('/srv');
  });
  it('given a path no bind source holds, then it starts at its parent', () => {
    expect(trustedAnchor('/srv/x/f', undefined, [])).toBe('/srv/x');
  });
});

describe('writeFileSafely', () => {
  it('given a link planted at the file name, when the file is rendered, then the link is replaced, not followed', async () => {
    await symlink(join(outside, 'passwd'), join(app, 'conf', 'nginx.conf'));
    const result = await writeFileSafely(root, join(app, 'conf', 'nginx.conf'), 'rendered\n', 0o600);
    expect(result).toEqual({ written: true, replaced: 'symbolic link' });
    expect((await lstat(join(app, 'conf', 'nginx.conf'))).isFile()).toBe(true);
    expect(await readFile(join(app, 'conf', 'nginx.conf'), 'utf8')).toBe('rendered\n');
    expect((await stat(join(app, 'conf', 'nginx.conf'))).mode & 0o777).toBe(0o600);
    await hostUntouched();
  });

  it('given a folder of the file replaced by a link, when the file is rendered, then it is refused and nothing is written', async () => {
    await rm(join(app, 'conf'), { recursive: true });
    await symlink(outside, join(app, 'conf'));
    await expect(writeFileSafely(root, join(app, 'conf', 'passwd'), 'pwned\n', 0o644)).rejects.toThrow(UnsafePathError);
    await expect(writeFileSafely(root, join(app, 'conf', 'passwd'), 'pwned\n', 0o644)).rejects.toThrow(/conf is a symbolic link/);
    await hostUntouched();
  });

  it('given links at the old fixed temporary name and at guessable ones, then none is written through', async () => {
    for (const name of ['nginx.conf.podledger-tmp', '.nginx.conf.podledger-tmp', '.nginx.conf.tmp']) {
      await symlink(join(outside, `planted-${name}`), join(app, 'conf', name));
    }
    await writeFileSafely(root, join(app, 'conf', 'nginx.conf'), 'rendered\n', 0o644);
    await hostUntouched();
    expect(await readFile(join(app, 'conf', 'nginx.conf'), 'utf8')).toBe('rendered\n');
  });

  it('given a missing folder under a folder replaced by a link, when it is created, then it is refused', async () => {
    await symlink(outside, join(app, 'deep'));
    await expect(ensureFolder(root, join(app, 'deep', 'a', 'b'))).rejects.toThrow(/deep is a symbolic link/);
    await hostUntouched();
  });

  it('given the same bytes and mode already there, then nothing is written', async () => {
    await writeFileSafely(root, join(app, 'conf', 'f'), 'x', 0o644);
    const before = (await stat(join(app, 'conf', 'f'))).ino;
    expect(await writeFileSafely(root, join(app, 'conf', 'f'), 'x', 0o644)).toEqual({ written: false });
    expect((await stat(join(app, 'conf', 'f'))).ino).toBe(before);
  });

  it('given a FIFO at the file name, then rendering does not block and replaces it', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(app, 'conf', 'f')]);
    expect(await writeFileSafely(root, join(app, 'conf', 'f'), 'x', 0o644)).toEqual({ written: true, replaced: 'special file' });
  });

  it('given a container swapping a folder for a link as fast as it can, when the file is rendered again and again, then no byte lands outside', async () => {
    const conf = join(app, 'conf');
    let racing = true;
    const racer = (async () => {
      for (let i = 0; racing; i++) {
        // real folder ↔ link to the host, flipped by rename (atomic, as a container would do it)
        await rm(`${conf}.link`, { force: true });
        await symlink(outside, `${conf}.link`).catch(() => undefined);
        await rename(`${conf}.link`, conf).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
        await rm(conf, { recursive: true, force: true }).catch(() => undefined);
        await mkdir(conf).catch(() => undefined);
      }
    })();
    let refused = 0;
    for (let i = 0; i < 300 || (refused < 10 && i < 5000); i++) {
      await writeFileSafely(root, join(conf, 'passwd'), `pwned ${i}\n`, 0o644).catch((err: unknown) => {
        if (!(err instanceof UnsafePathError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        refused++;
      });
    }
    racing = false;
    await racer;
    await hostUntouched();
    expect(refused).toBeGreaterThan(0); // the race was real: some renders met the link
  });
});

describe('chownTree', () => {
  it('given links to host files and folders inside the bind source, when data_uid is applied, then only the app\'s own entries change owner', async () => {
    await writeFile(join(app, 'conf', 'own'), 'x');
    await symlink(join(outside, 'passwd'), join(app, 'conf', 'link-to-file'));
    await symlink(outside, join(app, 'link-to-dir'));
    const n = await chownTree(root, app, 4321, 4322);
    expect(n).toBe(5); // app, conf, own, and the two links themselves
    for (const p of [app, join(app, 'conf'), join(app, 'conf', 'own')]) expect((await stat(p)).uid).toBe(4321);
    expect((await lstat(join(app, 'link-to-dir'))).uid).toBe(4321);
    expect(await readlink(join(app, 'link-to-dir'))).toBe(outside);
    expect((await stat(join(outside, 'passwd'))).uid).toBe(process.getuid?.());
    expect((await stat(outside)).uid).toBe(process.getuid?.());
  });

  it('given the bind source itself replaced by a link, then chown is refused', async () => {
    await rm(app, { recursive: true });
    await symlink(outside, app);
    await expect(chownTree(root, app, 4321, 4321)).rejects.toThrow(UnsafePathError);
    expect((await stat(outside)).uid).toBe(process.getuid?.());
  });
});
