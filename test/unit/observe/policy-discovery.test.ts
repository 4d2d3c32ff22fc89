// Where the node policy comes from when --policy is not given: /etc/podledger/policy.yml, else
// policy.yml beside the apps folder (only when no one else can write it), else the defaults. The policy
// is trusted, so a file found rather than named must not be one a stranger (or the app store) placed.
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyCandidates, policyContext, DEFAULT_POLICY_FILE } from '../../../src/observe/policy-file.js';
import { runCli } from '../../support/cli.js';

// A manifest whose bind source lies outside its own data folder: refused unless the policy allows it.
const MANIFEST = (dataRoot: string) => `app: { id: viewer, name: Viewer, version: 1.0.0 }
container:
  image: docker.io/library/busybox:1.36
  volumes:
    - { type: bind, source: ${dataRoot}, target: /data, read_only: true }
`;

describe('node policy discovery', () => {
  let root: string;
  let apps: string;
  let dataRoot: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'policy-discovery-'));
    await chmod(root, 0o755);
    apps = join(root, 'apps');
    dataRoot = join(root, 'data');
    await mkdir(join(apps, 'viewer'), { recursive: true });
    await writeFile(join(apps, 'viewer', 'manifest.yml'), MANIFEST(dataRoot));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  const grant = (file: string) => writeFile(file, `data_root: ${dataRoot}\nallow:\n  viewer: [bind-outside-data-root]\n`, { mode: 0o644 });

  it.skipIf(existsSync(DEFAULT_POLICY_FILE))('given policy.yml beside the apps folder, when validate runs without --policy, then the catalog is checked against it and the output names it', async () => {
    await grant(join(root, 'policy.yml'));
    const r = await runCli(['validate', '--apps', apps, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, apps: 1, policy: join(root, 'policy.yml') });
    const text = await runCli(['validate', '--apps', apps]);
    expect(text.stdout).toContain(`valid under the node policy ${join(root, 'policy.yml')}`);
  });

  it.skipIf(existsSync(DEFAULT_POLICY_FILE))('given no policy anywhere, when validate runs, then the defaults refuse the bind and the hint says where a policy would go', async () => {
    const r = await runCli(['validate', '--apps', apps, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; policy: string | null; errors: { message: string }[] };
    expect(out.ok).toBe(false);
    expect(out.policy).toBeNull();
    expect(out.errors[0]!.message).toContain('rule bind-outside-data-root');
  });

  it('given a policy.yml inside the apps folder (where the app store writes), when validate runs, then it grants nothing', async () => {
    await grant(join(apps, 'policy.yml'));
    await grant(join(apps, 'viewer', 'policy.yml'));
    const ctx = await policyContext({ appsDir: apps });
    expect(ctx.policyFile).not.toBe(join(apps, 'policy.yml'));
    expect(ctx.policy.allow.viewer ?? []).not.toContain('bind-outside-data-root');
  });

  it('given a policy.yml beside the apps folder that group or others can write, when it is looked for, then it is refused, saying why and how to trust it', async () => {
    await grant(join(root, 'policy.yml'));
    await chmod(join(root, 'policy.yml'), 0o666);
    await expect(policyContext({ appsDir: apps })).rejects.toThrow(/policy\.yml: found beside the apps folder but not trusted: it can be written by group or others; fix: .*chmod go-w.*--policy FILE/);
    const r = await runCli(['validate', '--apps', apps]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not trusted');
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('given a policy.yml beside the apps folder in a folder others can write, when it is looked for, then it is refused', async () => {
    await grant(join(root, 'policy.yml'));
    await chmod(root, 0o777);
    await expect(policyContext({ appsDir: apps })).rejects.toThrow(/its folder can be written by group or others/);
  });

  it.skipIf(process.geteuid?.() !== 0)('given a policy.yml beside the apps folder owned by another user, when it is looked for, then it is refused', async () => {
    await grant(join(root, 'policy.yml'));
    await chown(join(root, 'policy.yml'), 4321, 4321);
    await expect(policyContext({ appsDir: apps })).rejects.toThrow(/it belongs to uid 4321/);
  });

  it('given --policy, when the policy is looked for, then only that file counts, however trusted the others', async () => {
    await grant(join(root, 'policy.yml'));
    const named = join(root, 'named.yml');
    await writeFile(named, `data_root: ${dataRoot}\n`);
    expect(policyCandidates({ policyFile: named, appsDir: apps })).toEqual([named]);
    const ctx = await policyContext({ policyFile: named, appsDir: apps });
    expect(ctx.policyFile).toBe(named);
    expect(ctx.policy.allow.viewer ?? []).toEqual([]);
  });

  it('given an apps folder, when the candidates are listed, then the node\'s own policy comes first and the one beside the apps folder second', () => {
    expect(policyCandidates({ appsDir: apps })).toEqual([DEFAULT_POLICY_FILE, join(root, 'policy.yml')]);
    expect(policyCandidates({ appsDir: '/etc/podledger/apps' })).toEqual([DEFAULT_POLICY_FILE]);
  });
});
