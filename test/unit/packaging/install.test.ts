// The package as npm installs it: pack the repo, install the tarball, run the installed `podledger`.
//
// Offline on purpose (CI and node builders have no registry): `npm install -g <tarball> --offline`
// cannot work from the cache `npm ci` fills, because a global install resolves each dependency's
// version from the registry's metadata, which `npm ci` never fetches (it reads the lockfile), and a
// global install ignores lockfiles. So the tarball is installed into an empty project whose lockfile
// pins the dependencies to the repo's own lock (the same tarballs, by integrity, from npm's cache):
// what lands in node_modules/podledger is exactly what `npm install -g` would unpack. (With the
// registry reachable, `npm install -g --prefix DIR --prefer-offline <tarball>` works too: it fetches
// only that metadata; a test must not need the network.)
//
// The pack skips `prepack` (the build): the unit tests read dist/ while this runs, and a build would
// rewrite it under them. `npm run build` ran before the tests; the test checks prepack is there.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
import { LAZY_PARTS } from '../../../src/tools/bundle-lazy.js';
import { runCommand, type CommandResult } from '../../support/process.js';

interface Manifest {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
}
type LockEntry = { dev?: boolean } & Record<string, unknown>;

const npm = (args: string[], cwd: string): Promise<CommandResult> =>
  runCommand('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, timeoutMs: 120_000 });

const ok = (r: CommandResult, what: string): CommandResult => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The empty project's package.json and a lockfile with podledger from the tarball and its dependencies as the repo pins them. */
async function writeProject(dir: string, tarball: string, pkg: Manifest): Promise<void> {
  const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash('sha512').update(await readFile(join(dir, tarball))).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'install-check', dependencies: { podledger: spec } },
    'node_modules/podledger': { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'install-check', private: true, dependencies: { podledger: spec } }));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ name: 'install-check', lockfileVersion: 3, requires: true, packages }));
}

describe('the packed package, installed', () => {
  let dir: string;
  let pkg: Manifest;
  let files: string[];
  const installed = () => join(dir, 'node_modules', '.bin', 'podledger');
  const run = (args: string[]) => runCommand(installed(), args, { cwd: dir, env: process.env, timeoutMs: 60_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-install-'));
    pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
    const packed = ok(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO_ROOT), 'npm pack');
    const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (!report) throw new Error(`npm pack printed no report: ${packed.stdout}`);
    files = report.files.map((f) => f.path);
    await writeProject(dir, report.filename, pkg);
    ok(await npm(['ci', '--offline'], dir), 'npm ci --offline of the packed tarball');
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('given the package, when it is packed, then a prepack builds dist and the tarball carries dist (the CLI bundle too), bin and the unit but no tests, sources or logs', () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(files).toContain('bin/podledger.js');
    expect(files).toContain('dist/bundle/main.js'); // the CLI as bin/podledger.js loads it (src/tools/build-cli.ts)
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('packaging/podledger.service');
    expect(files).toContain('docs/service.md');
    for (const f of ['index.html', 'app.js', 'style.css', 'favicon.svg']) expect(files).toContain(`dist/web/ui/${f}`); // the web UI, bundled
    expect(files.filter((f) => /^(src|test|events|replay|apps|scripts)\//.test(f) || f.endsWith('.map') || f.startsWith('dist/bench/'))).toEqual([]);
  });

  it('given the installed tarball, when its podledger is asked its version, then it is the package version', async () => {
    const r = ok(await run(['--version']), 'podledger --version');
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('given the installed tarball, when its podledger imports a captured log and reads it back, then its LevelDB (a native binding) works', async () => {
    const data = join(dir, 'data');
    const imported = ok(await run(['import', join(REPO_ROOT, 'events', 'crash-loop.ndjson'), '--data', data]), 'podledger import');
    const [, count] = /^imported (\d+) events/.exec(imported.stdout) ?? [];
    expect(Number(count)).toBeGreaterThan(0);
    const read = ok(await run(['events', '--json', '--data', data]), 'podledger events');
    expect(read.stdout.trim().split('\n')).toHaveLength(Number(count));
  });

  it('given the installed tarball, when the bundle\'s lazy parts (src/tools/bundle-lazy.ts) are resolved from its bundle folder as its loader does, then each is found', () => {
    const bundle = createRequire(join(dir, 'node_modules', 'podledger', 'dist', 'bundle', 'main.js'));
    for (const { id, from } of LAZY_PARTS) expect(createRequire(bundle.resolve(from)).resolve(id), `${id} from ${from}`).toMatch(/node_modules/);
  });

  it('given the installed tarball, when its podledger is asked for help and to validate an app, then both work', async () => {
    expect(ok(await run(['--help']), 'podledger --help').stdout).toContain('Usage: podledger');
    const apps = join(dir, 'apps');
    await cp(join(REPO_ROOT, 'apps', 'bitcoind'), join(apps, 'bitcoind'), { recursive: true });
    expect(ok(await run(['validate', '--apps', apps]), 'podledger validate').stdout).toContain(`1 app manifest(s) in ${apps} are valid`);
  });

  it('given the installed tarball, when its podledger ui serves a captured log, then the page and its bundled files are found beside the installed module', async () => {
    const ui = spawn(installed(), ['ui', '--log', join(REPO_ROOT, 'events', 'crash-loop.ndjson'), '--http', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        ui.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /(http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        ui.on('exit', (code) => reject(new Error(`podledger ui exited ${code}: ${out}`)));
      });
      for (const path of ['/', '/ui/app.js', '/ui/style.css']) expect((await fetch(new URL(path, url))).status, path).toBe(200);
    } finally {
      ui.kill('SIGTERM');
    }
  });
});

describe('the systemd unit', () => {
  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;

  it.skipIf(!analyze)('given packaging/podledger.service with its ExecStart pointed at the repo bin, when systemd-analyze verifies it, then it finds nothing wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podledger-unit-'));
    try {
      // verify checks that ExecStart's program exists: point it at this repo's bin, as a drop-in would.
      const unit = (await readFile(join(REPO_ROOT, 'packaging', 'podledger.service'), 'utf8'))
        .replace(/^ExecStart=\/usr\/local\/bin\/podledger /m, `ExecStart=${join(REPO_ROOT, 'bin', 'podledger.js')} `);
      expect(unit).toMatch(/^ExecStart=\S+ daemon --apps \/etc\/podledger\/apps --data \/var\/lib\/podledger$/m);
      await writeFile(join(dir, 'podledger.service'), unit);
      const r = await runCommand('systemd-analyze', ['verify', join(dir, 'podledger.service')], { env: process.env, timeoutMs: 30_000 });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('given the unit, when read, then it is a notify service with a watchdog that restarts on failure', async () => {
    const unit = await readFile(join(REPO_ROOT, 'packaging', 'podledger.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=main', 'WatchdogSec=30s', 'Restart=on-failure']) expect(unit.split('\n')).toContain(line);
  });
});
