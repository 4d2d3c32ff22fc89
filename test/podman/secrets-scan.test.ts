// No secret value ever leaves the container and its rendered file. A daemon runs on a real podman with
// apps that use known secret values (secret_env, and a `files` template with {{secret:NAME}}); one
// secret rotates, one app fails, one crash-loops. Then every CLI command runs, with and without
// --json, while the daemon runs and after it stopped; and everything podledger writes or prints is
// scanned for every value (old and new, also base64- and hex-encoded): the LevelDB files byte for byte
// and entry by entry, exports, an imported copy, container labels, the daemon's stdout and stderr,
// every command's output. Zero occurrences.
//
// Not scanned, on purpose: the container's environment and the rendered file, which must hold the
// values (checked below, so the scan is known to look at a node where the secrets are live).
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/core/events.js';
import { writeBusyboxApp } from '../support/apps.js';
import { makeTempDir, runCli, startDaemon, type CommandResult, type Daemon, type TempDir } from '../support/cli.js';
import { envOf, inspect, podmanEnv, podmanOk, removeContainers, waitFor } from '../support/podman.js';

const PREFIX = `ss${process.pid}`;
const OLD_PW = `old-rpc-${process.pid}-Vq7Zk`;
const NEW_PW = `new-rpc-${process.pid}-Wm4Xc`;
const TOKEN = `api-tok-${process.pid}-Ju2Rb`;
const SECRETS = { OLD_PW, NEW_PW, TOKEN };

/** Each value as written, and as base64 and hex (an encoded secret is still a leak). */
const NEEDLES = Object.entries(SECRETS).flatMap(([name, v]) => [
  { name, form: 'plain', bytes: Buffer.from(v) },
  { name, form: 'base64', bytes: Buffer.from(Buffer.from(v).toString('base64').replace(/=+$/, '')) },
  { name, form: 'hex', bytes: Buffer.from(Buffer.from(v).toString('hex')) },
]);

/** Where each needle occurs in `haystack`, as "where: NAME (form)". */
function leaks(where: string, haystack: Buffer | string): string[] {
  const b = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  return NEEDLES.filter((n) => b.includes(n.bytes)).map((n) => `${where}: ${n.name} (${n.form})`);
}

/** Every regular file under `dir`, recursively (sockets and the like skipped). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full)));
    else if ((await lstat(full)).isFile()) out.push(full);
  }
  return out;
}

describe('secret values never leave the container', () => {
  let tmp: TempDir;
  let apps = '';
  let data = '';
  let secrets = '';
  let appData = '';
  let policy = '';
  let daemon: Daemon | undefined;
  let daemonOutput = { stdout: '', stderr: '' };
  /** every CLI run: its command line and output */
  const runs: { args: string[]; result: CommandResult }[] = [];
  const exportFiles: string[] = [];
  let imported = '';

  const cli = async (args: string[]): Promise<CommandResult> => {
    const result = await runCli(args, { env: { PODLEDGER_DATA: undefined, PODLEDGER_POLICY: undefined, PODLEDGER_PODMAN_SOCKET: undefined } });
    runs.push({ args, result });
    return result;
  };
  const events = async (): Promise<Envelope[]> => {
    const r = await runCli(['events', '--json', '--data', data]);
    if (r.code !== 0) throw new Error(`events exited ${r.code}: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Envelope);
  };
  const running = async (id: string) => {
    const c = await inspect(`${PREFIX}-${id}`);
    return c?.State.Running ? c : undefined;
  };
  const rendered = () => readFile(join(appData, 'web', 'conf', 'app.conf'), 'utf8').catch(() => '');

  /** Every command, with and without --json; `live` while the daemon runs (through its control socket). */
  async function everyCommand(stage: string): Promise<void> {
    const d = ['--data', data];
    const last = String((await events()).at(-1)?.seq ?? 1);
    const out = join(tmp.path, `export-${stage}.ndjson`);
    exportFiles.push(out);
    const lines: string[][] = [
      ['status', ...d], ['status', '--json', ...d],
      ['events', ...d], ['events', '--json', ...d], ['events', '--type', 'SecretObserved', 'ActionFailed', '--json', ...d],
      ...['vault', 'web', 'crasher', 'broken'].flatMap((app) => [['why', app, ...d], ['why', app, '--all', ...d], ['why', app, '--all', '--json', ...d], ['events', '--app', app, ...d]]),
      ['replay', ...d], ['replay', '--json', ...d], ['replay', '--check', ...d], ['replay', '--check', '--json', ...d], ['replay', '--until', '10', '--json', ...d],
      ['diff', '1', last, ...d], ['diff', '1', last, '--json', ...d], ['diff', 'boot:1', last, '--json', ...d],
      ['export', ...d], ['export', '--out', out, ...d],
      ['plan', '--apps', apps, '--secrets', secrets, '--policy', policy, '--podman-socket', podmanEnv().socket, ...d],
      ['plan', '--apps', apps, '--secrets', secrets, '--policy', policy, '--podman-socket', podmanEnv().socket, '--json', ...d],
      ['validate', '--apps', apps, '--secrets', secrets, '--policy', policy], ['validate', '--apps', apps, '--secrets', secrets, '--policy', policy, '--json'],
    ];
    // A few at a time while the daemon serves them; one by one once it stopped (each holds the db's lock).
    const batch = stage === 'stopped' ? 1 : 4;
    for (let i = 0; i < lines.length; i += batch) await Promise.all(lines.slice(i, i + batch).map((l) => cli(l)));
    // the export, read back offline
    for (const l of [['replay', '--log', out], ['replay', '--json', '--log', out], ['why', 'vault', '--all', '--log', out], ['events', '--json', '--log', out], ['status', '--log', out]]) await cli(l);
  }

  beforeAll(async () => {
    tmp = await makeTempDir('podledger-secrets-scan');
    apps = join(tmp.path, 'apps');
    data = join(tmp.path, 'data');
    secrets = join(tmp.path, 'secrets');
    appData = join(tmp.path, 'appdata');
    policy = join(tmp.path, 'policy.yml');
    await mkdir(secrets, { recursive: true });
    await mkdir(join(appData, 'web', 'conf'), { recursive: true });
    await writeFile(join(secrets, 'rpc-password'), `${OLD_PW}\n`);
    await writeFile(join(secrets, 'api-token'), `${TOKEN}\n`);
    await writeFile(policy, `data_root: ${appData}\n`);

    await writeBusyboxApp(apps, PREFIX, 'vault', '  secret_env: [{ key: RPC_PASSWORD, secret_file: rpc-password }]\n');
    await writeBusyboxApp(apps, PREFIX, 'web', `  volumes: [{ type: bind, source: ${appData}/web/conf, target: /conf, read_only: true }]
files:
  - { path: ${appData}/web/conf/app.conf, template: app.conf.tmpl, mode: "0600" }
`);
    await writeFile(join(apps, 'web', 'app.conf.tmpl'), 'password={{secret:rpc-password}}\ntoken={{secret:api-token}}\n');
    // crash-loops: exits 3 at once, restarted with backoff; carries a secret in its spec
    await writeBusyboxApp(apps, PREFIX, 'crasher', '  command: [/bin/sh, -c, "exit 3"]\n  secret_env: [{ key: TOKEN, secret_file: api-token }]\n');
    // fails: a user the image does not have (FROM scratch: no /etc/passwd); carries a secret too
    await writeBusyboxApp(apps, PREFIX, 'broken', '  user: nosuchuser\n  secret_env: [{ key: RPC_PASSWORD, secret_file: rpc-password }]\n');

    daemon = startDaemon({ apps, data, socket: podmanEnv().socket, secrets, extraArgs: ['--resync', '1', '--policy', policy] });
    await waitFor(async () => (await running('vault')) && (await running('web')), { timeoutMs: 90_000, what: 'vault and web running' });
    let seen = '';
    await waitFor(async () => {
      const log = await events();
      const exits = log.filter((e) => e.type === 'ContainerExited' && e.app === 'crasher').length;
      const failed = log.some((e) => e.type === 'ActionFailed' && e.app === 'broken');
      seen = `${log.length} events, ${exits} crasher exits, broken ${failed ? 'failed' : 'not failed'}`;
      return exits >= 2 && failed;
    }, { timeoutMs: 120_000, what: 'crasher exited twice and broken failed' }).catch((err: Error) => {
      throw new Error(`${err.message}\nseen: ${seen}\ndaemon output (tail):\n${daemon?.output().slice(-6000)}`, { cause: err });
    });
    expect(envOf((await running('vault'))!).RPC_PASSWORD).toBe(OLD_PW);
    expect(await rendered()).toContain(OLD_PW);
    await everyCommand('before-rotation');

    // rotate
    await writeFile(join(secrets, 'rpc-password'), `${NEW_PW}\n`);
    await waitFor(async () => {
      const c = await running('vault');
      return c && envOf(c).RPC_PASSWORD === NEW_PW && (await rendered()).includes(NEW_PW);
    }, { timeoutMs: 60_000, what: 'vault recreated and app.conf rendered with the rotated secret' });
    await waitFor(async () => (await events()).filter((e) => e.type === 'ContainerExited' && e.app === 'crasher').length >= 3, { timeoutMs: 60_000, what: 'a third crash' });
    await everyCommand('live');

    // stopped: the same commands read the db itself
    expect(await daemon.stop()).toBe(0);
    daemonOutput = { stdout: daemon.stdout(), stderr: daemon.stderr() };
    await everyCommand('stopped');
    imported = join(tmp.path, 'imported');
    const imp = await cli(['import', exportFiles.at(-1)!, '--data', imported]);
    expect(imp.code, imp.stderr).toBe(0);
    await cli(['events', '--json', '--data', imported]);
    await cli(['why', 'vault', '--all', '--data', imported]);
  }, 600_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode() === null) await daemon.stop();
    await removeContainers(`${PREFIX}-`);
    await podmanOk(['network', 'rm', '-f', `${PREFIX}-net`]).catch(() => undefined);
    await tmp?.cleanup();
  });

  it('(the scenario) the secrets were live: used, rotated, and the node had a failing and a crash-looping app', async () => {
    const c = (await inspect(`${PREFIX}-vault`))!;
    expect(envOf(c).RPC_PASSWORD).toBe(NEW_PW);
    expect(await rendered()).toBe(`password=${NEW_PW}\ntoken=${TOKEN}\n`);
    expect(leaks('the rendered file (scanner self-check)', await rendered())).toEqual(['the rendered file (scanner self-check): NEW_PW (plain)', 'the rendered file (scanner self-check): TOKEN (plain)']);
    const log = (await runCli(['events', '--json', '--data', data])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Envelope);
    expect(log.filter((e) => e.type === 'SecretObserved').map((e) => e.type === 'SecretObserved' && e.data.name).sort()).toEqual(['api-token', 'rpc-password', 'rpc-password']);
    expect(log.some((e) => e.type === 'ActionFailed' && e.app === 'broken')).toBe(true);
    expect(log.filter((e) => e.type === 'ContainerExited' && e.app === 'crasher').length).toBeGreaterThanOrEqual(3);
    expect(log.some((e) => e.type === 'ActionStarted' && e.app === 'vault' && e.data.action.kind === 'recreate')).toBe(true);
    // every command ran, and ran well (why of an app with no action may say so, exit 1)
    expect(runs.length).toBeGreaterThan(100);
    const failed = runs.filter(({ args, result }) => result.code !== 0 && !(args[0] === 'why' && result.code === 1) && !(args[0] === 'validate' && result.code === 1));
    expect(failed.map(({ args, result }) => `${args.join(' ')}: exit ${result.code}: ${result.stderr}`)).toEqual([]);
  });

  it('given the LevelDB files of the data dir (and of an imported copy), when read byte for byte, then no secret value is in them', async () => {
    const found: string[] = [];
    const files = [...(await filesUnder(data)), ...(await filesUnder(imported))];
    expect(files.some((f) => f.endsWith('.log') || f.endsWith('.ldb'))).toBe(true);
    for (const f of files) found.push(...leaks(f, await readFile(f)));
    expect(found).toEqual([]);
  });

  it('given the LevelDB entries (keys and values, as stored, decompressed), then no secret value is in them', async () => {
    // .ldb tables are snappy-compressed, so a byte scan alone could miss a value: read every entry too.
    const found: string[] = [];
    for (const dir of [data, imported]) {
      const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
      await db.open();
      try {
        let n = 0;
        for await (const [k, v] of db.iterator()) {
          n += 1;
          found.push(...leaks(`${dir} key ${k}`, `${k}\n${v}`));
        }
        expect(n).toBeGreaterThan(50);
      } finally {
        await db.close();
      }
    }
    expect(found).toEqual([]);
  });

  it('given the exports (stdout and --out files), then no secret value is in them', async () => {
    const found: string[] = [];
    for (const f of exportFiles) found.push(...leaks(f, await readFile(f)));
    for (const { args, result } of runs.filter((r) => r.args[0] === 'export')) found.push(...leaks(args.join(' '), result.stdout));
    expect(exportFiles).toHaveLength(3);
    expect(found).toEqual([]);
  });

  it("given every container's labels (podman inspect), then no secret value is in them", async () => {
    const names = (await podmanOk(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter((n) => n.startsWith(`${PREFIX}-`));
    expect(names.length).toBeGreaterThanOrEqual(3);
    const found: string[] = [];
    for (const name of names) {
      const c = (await inspect(name))!;
      found.push(...leaks(`${name} labels`, JSON.stringify(c.Config.Labels ?? {})));
      found.push(...leaks(`${name} annotations`, JSON.stringify((c.Config as { Annotations?: unknown }).Annotations ?? {})));
    }
    expect(found).toEqual([]);
  });

  it("given the daemon's stdout and stderr, then no secret value is in them", () => {
    // it did log the failing and the crash-looping app, the rotation's recreate, and stopping
    expect(daemonOutput.stdout + daemonOutput.stderr).toMatch(/broken/);
    expect(daemonOutput.stdout + daemonOutput.stderr).toMatch(/crasher/);
    expect(daemonOutput.stdout + daemonOutput.stderr).toMatch(/recreate vault/);
    expect([...leaks('daemon stdout', daemonOutput.stdout), ...leaks('daemon stderr', daemonOutput.stderr)]).toEqual([]);
  });

  it('given the output of every CLI command (status, events, why, replay, diff, export, plan, validate, import; with and without --json; live, stopped, from an export), then no secret value is in it', () => {
    const commands = new Set(runs.map((r) => r.args[0]));
    expect([...commands].sort()).toEqual(['diff', 'events', 'export', 'import', 'plan', 'replay', 'status', 'validate', 'why']);
    const found = runs.flatMap(({ args, result }) => [...leaks(`${args.join(' ')} stdout`, result.stdout), ...leaks(`${args.join(' ')} stderr`, result.stderr)]);
    expect(found).toEqual([]);
  });
});
