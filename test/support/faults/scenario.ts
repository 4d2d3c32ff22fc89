// One fault scenario's world: its apps (manifests written atomically), its data dir and network, the
// daemon on them, and whether podman and the daemon agree that everything converged.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { appView } from '../../../src/core/views.js';
import { plan } from '../../../src/core/plan.js';
import { runCli, startDaemon, type Daemon } from '../cli.js';
import { buildImage, podmanApi, podmanCli, podmanEnv, podmanOk, removeContainers, waitFor, writeBusyboxContext } from '../podman.js';
import { controlState } from './shared.js';

// ---------------------------------------------------------------------------------------------
// Podman's view: our containers
// ---------------------------------------------------------------------------------------------

export interface Ours {
  id: string;
  name: string;
  app: string;
  state: string;
  specHash: string | undefined;
}

/** Every container carrying our app label whose name starts with `prefix`, any state (podman's view). */
export async function ours(prefix: string): Promise<Ours[]> {
  const r = await podmanApi('/containers/json?all=true');
  if (r.status !== 200) throw new Error(`GET /containers/json: HTTP ${r.status}: ${r.body}`);
  const list = r.json<{ Id: string; Names?: string[]; State: string; Labels?: Record<string, string> | null }[]>();
  return list
    .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), app: c.Labels?.['podledger.app'] ?? '', state: c.State, specHash: c.Labels?.['podledger.spec-hash'] }))
    .filter((c) => c.name.startsWith(prefix) && c.app !== '');
}

/** Same as `ours`, but with the CLI (no service needed): for reading podman while its service is down. */
export async function oursOffline(prefix: string): Promise<{ id: string; name: string; state: string }[]> {
  const out = await podmanOk(['ps', '-a', '--no-trunc', '--filter', 'label=podledger.app', '--format', '{{.ID}} {{.Names}} {{.State}}']);
  return out.split('\n').filter(Boolean).map((l) => l.split(' ')).map(([id, name, state]) => ({ id: id!, name: name!, state: state! })).filter((c) => c.name.startsWith(prefix));
}

// ---------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------

export interface Fixture {
  /** scratch dir of the test file */
  dir: string;
  /** a busybox image that runs until stopped (traps TERM) */
  image: string;
}

/** Build the image the scenarios run (once per file). */
export async function prepareFixture(dir: string, tag: string): Promise<Fixture> {
  const context = await writeBusyboxContext(join(dir, 'image'), { extraLines: [`CMD ["/bin/sh","-c","trap 'exit 0' TERM; while true; do sleep 1; done"]`] });
  await buildImage(tag, context);
  return { dir, image: tag };
}

export interface AppShape {
  /** bumps an env var: a new spec, so a recreate */
  gen: number;
  /** the container takes another name (`<prefix>-<id>-b`): a recreate under a new name */
  alt: boolean;
  /** crash at once with this exit code instead of running */
  crash?: number;
  /** an env var of this many bytes: a ManifestObserved bigger than a tmpfs page */
  pad?: number;
}

export function containerName(prefix: string, id: string, shape: AppShape): string {
  return `${prefix}-${id}${shape.alt ? '-b' : ''}`;
}

/** An app set under one folder, written atomically (tmp file + rename) so the watcher never reads half a file. */
export class Apps {
  readonly shapes = new Map<string, AppShape>();
  #n = 0;
  constructor(readonly dir: string, readonly prefix: string, readonly image: string, readonly network: string, readonly scratch: string) {}

  async write(id: string, shape: AppShape): Promise<void> {
    const text = [
      `app: { id: ${id}, name: ${id}, version: "1" }`,
      'container:',
      `  image: ${this.image}`,
      '  pull_policy: never',
      `  name: ${containerName(this.prefix, id, shape)}`,
      `  network: ${this.network}`,
      '  stop_timeout: 2',
      `  environment: { GEN: "${shape.gen}"${shape.pad ? `, PAD: "${'x'.repeat(shape.pad)}"` : ''} }`,
      ...(shape.crash !== undefined ? [`  command: [/bin/sh, -c, "exit ${shape.crash}"]`] : []),
      '',
    ].join('\n');
    await mkdir(join(this.dir, id), { recursive: true });
    await mkdir(this.scratch, { recursive: true });
    const tmp = join(this.scratch, `manifest-${this.#n++}.yml`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, id, 'manifest.yml'));
    this.shapes.set(id, shape);
  }

  async remove(id: string): Promise<void> {
    await mkdir(this.scratch, { recursive: true });
    const trash = join(this.scratch, `removed-${id}-${this.#n++}`);
    await rename(join(this.dir, id), trash);
    this.shapes.delete(id);
    await rm(trash, { recursive: true, force: true });
  }

  name(id: string): string {
    return containerName(this.prefix, id, this.shapes.get(id)!);
  }
}

/**
 * Converged as podman and the daemon see it: exactly one labelled container per app, running, under
 * the app's current name; none for apps that are gone; the daemon knows each by id and today's
 * planner has nothing left to do. Returns what differs, or undefined when converged.
 */
export async function convergenceGap(apps: Apps, data: string): Promise<string | undefined> {
  const found = await ours(apps.prefix);
  const problems: string[] = [];
  for (const id of apps.shapes.keys()) {
    const mine = found.filter((c) => c.app === id);
    if (mine.length !== 1) problems.push(`${id}: ${mine.length} containers (${mine.map((c) => `${c.name} ${c.state}`).join(', ')})`);
    else if (mine[0]!.state !== 'running' || mine[0]!.name !== apps.name(id)) problems.push(`${id}: ${mine[0]!.name} ${mine[0]!.state}, want ${apps.name(id)} running`);
  }
  for (const c of found) if (!apps.shapes.has(c.app)) problems.push(`${c.name}: a container of removed app ${c.app} (${c.state})`);
  if (problems.length > 0) return problems.join('; ');
  const { state } = await controlState(data);
  for (const id of apps.shapes.keys()) {
    const c = found.find((x) => x.app === id)!;
    if (state.containers[id]?.id !== c.id || state.containers[id]?.status !== 'running') return `${id}: the daemon believes ${JSON.stringify(state.containers[id]?.id?.slice(0, 12))} ${state.containers[id]?.status}`;
  }
  // The projection's own verdict too: a manifest change folded after the last plan leaves that plan
  // empty while the app is not converged yet (the reconciler has not planned it).
  for (const id of apps.shapes.keys()) {
    const v = appView(state, id, []);
    if (!v.converged) return `${id}: the daemon's view: desired ${JSON.stringify(v.desired)}, observed ${JSON.stringify(v.observed)}${v.drift.length ? `, drift ${JSON.stringify(v.drift)}` : ''}`;
  }
  // A plan is recorded only when it is news, so the last one recorded may list actions long done:
  // what is left is what today's planner would still do.
  const left = plan(state, Date.now()).actions;
  if (left.length > 0) return `still to do: ${left.map((a) => `${a.kind} ${a.app}`).join(', ')}`;
  return undefined;
}

/** `status --json`: every app converged, and podman's spec-hash label equal to the desired hash. */
export async function statusAgrees(apps: Apps, data: string): Promise<void> {
  const r = await runCli(['status', '--json', '--data', data]);
  expect(r.code, r.stderr).toBe(0);
  const views = (JSON.parse(r.stdout) as { apps: { app: string; desired: { specHash: string | null }; converged: boolean; container: string | null }[] }).apps;
  const found = await ours(apps.prefix);
  for (const id of apps.shapes.keys()) {
    const v = views.find((x) => x.app === id);
    expect(v, `status has ${id}`).toBeDefined();
    expect(v!.converged, `status: ${id} converged: ${JSON.stringify(v)}`).toBe(true);
    const c = found.find((x) => x.app === id);
    expect(c?.specHash, `${id}: podman's spec-hash label is the desired hash`).toBe(v!.desired.specHash);
    expect(v!.container).toBe(c?.id);
  }
}

export async function replayCheck(data: string): Promise<string> {
  const r = await runCli(['replay', '--data', data, '--check'], { timeoutMs: 180_000 });
  expect(r.code, `replay --data ${data} --check exited ${r.code}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

async function podmanRmNames(names: string[]): Promise<void> {
  if (names.length > 0) await podmanCli(['rm', '-f', '-t', '0', ...names]);
}

/** Remove the containers and network of a scenario. */
export async function cleanupPodman(prefix: string, network: string): Promise<void> {
  await removeContainers(`${prefix}-`).catch(async () => podmanRmNames((await oursOffline(prefix)).map((c) => c.name)));
  await podmanCli(['network', 'rm', '-f', network]);
}

export interface Scenario {
  fx: Fixture;
  prefix: string;
  dir: string;
  apps: Apps;
  data: string;
  network: string;
}

/** A fresh apps dir, data dir and network for one scenario. */
export async function scenario(fx: Fixture, prefix: string): Promise<Scenario> {
  const dir = join(fx.dir, prefix);
  const network = `${prefix}-net`;
  await mkdir(join(dir, 'apps'), { recursive: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  await podmanOk(['network', 'create', network]);
  return { fx, prefix, dir, network, data: join(dir, 'data'), apps: new Apps(join(dir, 'apps'), prefix, fx.image, network, join(dir, 'scratch')) };
}

export function daemonOn(s: Scenario, extra: string[] = []): Daemon {
  return startDaemon({ apps: s.apps.dir, data: s.data, socket: podmanEnv().socket, extraArgs: ['--resync', '1', ...extra] });
}

export async function waitConverged(s: Scenario, timeoutMs: number, what: string): Promise<void> {
  await waitFor(async () => (await convergenceGap(s.apps, s.data)) === undefined, { timeoutMs, intervalMs: 100, what });
}

export async function lastGap(s: Scenario): Promise<string> {
  return (await convergenceGap(s.apps, s.data).catch((e: Error) => e.message)) ?? 'converged';
}
