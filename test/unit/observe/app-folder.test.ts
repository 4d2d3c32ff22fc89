// Reading an untrusted app folder: bounded reads (a 10 GB manifest is refused, not read), templates
// only from regular files inside the folder (never through a link, never a FIFO), and build contexts
// whose links may leave the folder only for host files the node policy lists, hashed and packed alike.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatManifestError } from '../../../src/manifest/parse.js';
import { DEFAULT_POLICY, type PolicyContext } from '../../../src/manifest/policy.js';
import { BuildContextError, checkedFs, hashTree, type LinkRules } from '../../../src/host/build-context.js';
import { displayPath, readManifests } from '../../../src/observe/manifests.js';

let dir: string;
let apps: string;
let host: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podledger-app-folder-'));
  apps = join(dir, 'apps');
  host = join(dir, 'host');
  // A host like Debian's merged /usr: host/bin is a link to host/usr/bin.
  await mkdir(join(host, 'usr', 'bin'), { recursive: true });
  await symlink(join(host, 'usr', 'bin'), join(host, 'bin'));
  await writeFile(join(host, 'usr', 'bin', 'tool'), 'a host binary\n', { mode: 0o755 });
  await writeFile(join(host, 'secret'), 'the node key\n');
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const policyFile = '/etc/podledger/policy.yml';
const policy = (hostFiles: string[] = []): PolicyContext => ({ policy: { ...DEFAULT_POLICY, data_root: join(dir, 'data'), build_host_files: hostFiles }, policyFile });
const errorsOf = async (id: string, p = policy()) => {
  const r = (await readManifests(apps, p)).get(id);
  return r && !r.ok ? r.errors.map(formatManifestError) : [];
};

/** apps/web with a file rendered from `template`; the template itself is made by the test. */
async function templateApp(template: string): Promise<string> {
  await mkdir(join(apps, 'web'), { recursive: true });
  const manifest = `app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: x/web\n  volumes: [{ type: bind, source: ${dir}/data/web, target: /conf }]\nfiles:\n  - { path: ${dir}/data/web/a.conf, template: ${template} }\n`;
  await writeFile(join(apps, 'web', 'manifest.yml'), manifest);
  return join(apps, 'web', template);
}
/** The error at files[0].template (line 6, after `template: `). */
const templateError = (full: string, message: string) => {
  const line = `  - { path: ${dir}/data/web/a.conf, template: `;
  return `${displayPath(join(apps, 'web', 'manifest.yml'))}:6:${line.length + 1}: files[0].template: template ${full} ${message}`;
};

describe('reading manifests and templates', () => {
  it('given a 10 GB manifest (sparse), when read, then it is refused at once naming the file and the limit', async () => {
    await mkdir(join(apps, 'big'), { recursive: true });
    const file = join(apps, 'big', 'manifest.yml');
    await writeFile(file, 'app: { id: big }\n');
    await truncate(file, 10 * 1024 ** 3);
    const start = performance.now();
    const r = (await readManifests(apps)).get('big');
    expect(performance.now() - start).toBeLessThan(1000);
    expect(r?.ok === false && r.errors.map(formatManifestError)).toEqual([
      `${displayPath(file)}:1:1: (file): ${displayPath(file)} is 10737418240 bytes, more than the 256 KiB a manifest may have; make it smaller`,
    ]);
  });

  it('given a manifest that is a link to a host file, when read, then it is refused without reading what it leads to', async () => {
    await mkdir(join(apps, 'linked'), { recursive: true });
    const file = join(apps, 'linked', 'manifest.yml');
    await writeFile(join(host, 'other.yml'), 'app: { id: linked, name: L, version: "1" }\ncontainer: { image: x/l }\n');
    await symlink(join(host, 'other.yml'), file);
    const r = (await readManifests(apps)).get('linked');
    expect(r?.ok === false && r.errors.map(formatManifestError)).toEqual([
      `${displayPath(file)}:1:1: (file): ${displayPath(file)} is a symbolic link: manifests are read only from regular files in the app folder; replace the link with the file`,
    ]);
  });

  it('given a template that is a link (even to a file in the app folder), when read, then it is refused at files[0].template', async () => {
    const full = await templateApp('a.tmpl');
    await writeFile(join(apps, 'web', 'real.tmpl'), 'x={{HOST_IP}}\n');
    await symlink(join(apps, 'web', 'real.tmpl'), full);
    expect(await errorsOf('web')).toEqual([templateError(full, 'is a symbolic link: templates are read only from regular files inside the app folder; replace the link with the file')]);
    await rm(full);
    await symlink(join(host, 'secret'), full);
    expect(await errorsOf('web')).toEqual([templateError(full, 'is a symbolic link: templates are read only from regular files inside the app folder; replace the link with the file')]);
  });

  it('given a template behind a linked folder that leaves the app folder, when read, then it is refused', async () => {
    const full = await templateApp('conf/secret');
    await symlink(host, join(apps, 'web', 'conf'));
    expect(await errorsOf('web')).toEqual([
      templateError(full, `lies behind the symbolic link ${join(apps, 'web', 'conf')}: templates are read only from the app folder itself; replace the link with a folder`),
    ]);
  });

  it('given a template that is a FIFO, a folder or over 1 MiB, when read, then each is refused without blocking or reading it all', async () => {
    const full = await templateApp('a.tmpl');
    execFileSync('mkfifo', [full]);
    expect(await errorsOf('web')).toEqual([templateError(full, 'is a FIFO, not a regular file; make it a regular file in the app folder')]);
    await rm(full);
    await mkdir(full);
    expect(await errorsOf('web')).toEqual([templateError(full, 'is a folder, not a regular file; make it a regular file in the app folder')]);
    await rm(full, { recursive: true });
    await writeFile(full, 'x');
    await truncate(full, 1024 * 1024 + 1);
    expect(await errorsOf('web')).toEqual([templateError(full, 'is 1048577 bytes, more than the 1 MiB a template may have; make it smaller')]);
  });

  it('given a regular template of exactly 1 MiB, when read, then it is taken whole', async () => {
    const full = await templateApp('a.tmpl');
    await writeFile(full, 'x'.repeat(1024 * 1024));
    const r = (await readManifests(apps, policy())).get('web');
    expect(r?.ok && r.templates['a.tmpl']?.length).toBe(1024 * 1024);
  });
});

/** How hashTree hashed before links were checked (every link followed): kept to show hashes did not change. */
async function hashBefore(root: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const full = join(d, name);
      const s = await stat(full);
      if (s.isDirectory()) await walk(full);
      else if (s.isFile()) h.update(`${relative(root, full)}\0${s.mode & 0o777}\0`).update(await readFile(full)).update('\0');
    }
  };
  await walk(root);
  return h.digest('hex');
}

describe('build contexts', () => {
  let app: string;
  let rules: LinkRules;
  beforeEach(async () => {
    app = join(apps, 'web');
    await mkdir(join(app, 'src', 'lib'), { recursive: true });
    await writeFile(join(app, 'Containerfile'), 'FROM scratch\nCOPY . /\n');
    await writeFile(join(app, 'src', 'lib', 'a.txt'), 'a\n');
    await symlink('src/lib/a.txt', join(app, 'inside-link'));
    rules = { appDir: app, hostFiles: [], policyFile };
  });
  const refusal = () => hashTree(app, rules).then(() => 'accepted', (err: Error) => (err instanceof BuildContextError ? err.message : `other: ${err.message}`));

  it('given files, folders and a link inside the app folder, when hashed, then the hash is what it was before the rule', async () => {
    expect(await hashTree(app, rules)).toBe(await hashBefore(app));
  });

  it('given a link to a host file, when hashed, then it is refused unless the policy lists it (by the path the link names or its real path)', async () => {
    await symlink(join(host, 'bin', 'tool'), join(app, 'tool'));
    expect(await refusal()).toBe(`tool is a link to ${join(host, 'bin', 'tool')} (${join(host, 'usr', 'bin', 'tool')}), outside the app folder: not allowed by the node policy; to allow it, add ${join(host, 'bin', 'tool')} under build_host_files in ${policyFile}`);
    for (const listed of [join(host, 'bin', 'tool'), join(host, 'usr', 'bin', 'tool')]) {
      rules = { ...rules, hostFiles: [listed] };
      expect(await hashTree(app, rules)).toBe(await hashBefore(app));
    }
  });

  it.each([
    ['a host file not listed', async (a: string) => symlink(join(host, 'secret'), join(a, 'key')),
      (h: string) => `key is a link to ${h}/secret, outside the app folder: not allowed by the node policy; to allow it, add ${h}/secret under build_host_files in ${policyFile}`],
    ['a host folder', async (a: string) => symlink(host, join(a, 'hostdir')),
      (h: string) => `hostdir is a link to ${h}, outside the app folder, which is not a file: the node policy can allow only files; copy what the build needs into the app folder`],
    ['nothing', async (a: string) => symlink('missing', join(a, 'dangling')), () => 'dangling is a link to nothing (missing); remove it from the build context'],
    ['a folder holding it (a loop)', async (a: string) => symlink('..', join(a, 'src', 'up')),
      () => 'src/up is a link to APP, which holds it: a link loop; remove the link'],
    ['a FIFO', async (a: string) => { execFileSync('mkfifo', [join(a, 'pipe')]); }, () => 'pipe is a FIFO, not a file or folder; remove it from the build context'],
  ])('given a link to %s, when hashed, then it is refused with the fix', async (_, make, message) => {
    await make(app);
    expect(await refusal()).toBe(message(host).replace('APP', app));
  });

  it('given a host file listed, when the link names a folder below it, then it is still refused (files only)', async () => {
    rules = { ...rules, hostFiles: [join(host, 'usr', 'bin', 'tool')] };
    await symlink(join(host, 'usr', 'bin'), join(app, 'bin'));
    expect(await refusal()).toMatch(/^bin is a link to .*, outside the app folder, which is not a file/);
  });

  it('given a context folder that is itself a link out of the app folder, when hashed, then it is refused', async () => {
    await symlink(host, join(app, 'ctx'));
    await expect(hashTree(join(app, 'ctx'), rules)).rejects.toThrow(`the build context ${join(app, 'ctx')} leads to ${host}, outside the app folder; keep the context inside the app folder`);
  });

  it('given a manifest whose context links out, when read, then the error is at container.build.context and names the policy file', async () => {
    await writeFile(join(app, 'manifest.yml'), 'app: { id: web, name: Web, version: "1" }\ncontainer:\n  build: { context: . }\n');
    await symlink(join(host, 'secret'), join(app, 'key'));
    expect(await errorsOf('web')).toEqual([
      `${displayPath(join(app, 'manifest.yml'))}:3:21: container.build.context: build context ${app}: key is a link to ${host}/secret, outside the app folder: not allowed by the node policy; to allow it, add ${host}/secret under build_host_files in ${policyFile}`,
    ]);
    expect(await errorsOf('web', policy([join(host, 'secret')]))).toEqual([]);
  });

  it('given the pack of a context, when links are allowed, then it holds what the links lead to; when one is refused, then the pack fails', async () => {
    await symlink(join(host, 'bin', 'tool'), join(app, 'tool'));
    rules = { ...rules, hostFiles: [join(host, 'bin', 'tool')] };
    const out = join(dir, 'out');
    await pipeline(tar.pack(app, { dereference: true, fs: await checkedFs(app, rules) } as tar.PackOptions), tar.extract(out));
    expect(await readFile(join(out, 'tool'), 'utf8')).toBe('a host binary\n');
    expect(await readFile(join(out, 'inside-link'), 'utf8')).toBe('a\n');
    expect(await hashBefore(out)).toBe(await hashTree(app, rules));

    await symlink(join(host, 'secret'), join(app, 'key'));
    await expect(pipeline(tar.pack(app, { dereference: true, fs: await checkedFs(app, rules) } as tar.PackOptions), tar.extract(join(dir, 'out2'))))
      .rejects.toThrow(`key is a link to ${host}/secret, outside the app folder`);
  });
});
