// The executor performs one planned action through podman. It carries no decision logic: what to do
// and why was decided by the planner; this only knows how, and reports what happened.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Action } from '../core/events.js';
import { desiredApp, LABELS, resolveSpec } from '../core/spec.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import type { State } from '../core/state.js';
import { secretHash, secretValue } from '../host/secrets.js';
import { networkKind } from '../core/manifest/fields.js';
import { prepareHost } from './app-host.js';
import { podmanMessage } from '../podman/errors.js';
import { ActionError } from './errors.js';
import { createOptions } from '../podman/container-options.js';
import { buildImage, imageExists, pullImage, type Progress } from './image.js';

export interface ExecutorConfig {
  docker: Docker;
  /**
   * A client whose calls may stay silent this long: a stop waits up to the container's stop timeout
   * (bitcoind's is 15m30s) before podman answers, far past the usual client timeout.
   */
  patientClient: (timeoutMs: number) => Promise<Docker>;
  appsDir: string;
  /** the node policy as last read: where host paths are trusted from, what a build context may link to */
  policy?: NodePolicy;
  secretsDir?: string;
  nodeKey: Buffer;
  progress: Progress;
  /**
   * The inspect that read a started container's start time, handed on: it also holds the address the
   * health monitor would otherwise ask podman for again, on the path to the first passing probe.
   */
  onInspected?: (id: string, info: Docker.ContainerInspectInfo) => void;
}

export interface Outcome {
  containerId?: string;
  startedAt?: number;
  spec?: ContainerSpec;
  specHash?: string;
  detail?: string;
}

export interface NodePolicy {
  /** app paths in it are resolved with no link followed below it */
  dataRoot: string;
  /** host files a build context may link to */
  buildHostFiles: readonly string[];
  policyFile: string;
}

export async function execute(cfg: ExecutorConfig, action: Action, state: State): Promise<Outcome> {
  switch (action.kind) {
    case 'create':
    case 'recreate':
    case 'rollback': {
      // Re-resolved from the projection at the moment of applying: a stale value is never applied.
      // (For a rollback the projection already pins the last healthy configuration.)
      const { app, desired } = resolved(action, state);
      // All that can fail without touching what runs comes first: a refused host path, a failed
      // build or an unreadable secret leaves the old container running (and the downtime shorter).
      const ready = await prepare(cfg, desired.spec, app, state);
      const old = state.containers[action.app];
      // the running container's own stop timeout: it is the one that must shut down cleanly
      if (old) await stopAndRemove(cfg, old.id, old.spec?.stopTimeout ?? desired.spec.stopTimeout);
      const unmanaged = state.unmanaged[action.app];
      if (unmanaged && !old) await stopAndRemove(cfg, unmanaged.id, desired.spec.stopTimeout);
      const id = await createAndStart(cfg, desired.spec, desired.hash, app.id, ready);
      const notes = ready.notes.length > 0 ? { detail: ready.notes.join('; ') } : {};
      return { containerId: id, spec: desired.spec, specHash: desired.hash, ...notes, ...(await startedAt(cfg, id)) };
    }
    case 'adopt': {
      // Nothing to do in podman: the container made elsewhere already matches; from now on it is ours.
      const { desired } = resolved(action, state);
      const found = state.unmanaged[action.app];
      if (!found) throw new ActionError('nothing-to-adopt', `cannot adopt for ${action.app}: no unmanaged container is known`);
      return { containerId: found.id, spec: desired.spec, specHash: desired.hash, detail: `adopted ${found.name} (not labelled: identified by name and id)` };
    }
    case 'start': {
      const c = state.containers[action.app];
      if (!c) throw new ActionError('no-container', `cannot start ${action.app}: no container is known`);
      await call(`start container ${c.name}`, () => cfg.docker.getContainer(c.id).start(), [304]);
      return { containerId: c.id, ...(await startedAt(cfg, c.id)) };
    }
    case 'restart': {
      const c = state.containers[action.app];
      if (!c) throw new ActionError('no-container', `cannot restart ${action.app}: no container is known`);
      const t = c.spec?.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
      const docker = await cfg.patientClient(stopCallTimeoutMs(t));
      await call(`restart container ${c.name}`, () => docker.getContainer(c.id).restart({ t }));
      return { containerId: c.id, ...(await startedAt(cfg, c.id)) };
    }
    case 'remove': {
      const c = state.containers[action.app];
      if (c) await stopAndRemove(cfg, c.id, c.spec?.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S);
      return c ? { containerId: c.id, detail: 'container removed; its data is kept' } : {};
    }
    case 'wait':
    case 'blocked':
      return {};
  }
}

/** podman's start time of the container's current run, so late events from an earlier run are told apart. */
async function startedAt(cfg: ExecutorConfig, id: string): Promise<{ startedAt?: number }> {
  const info = await cfg.docker.getContainer(id).inspect().catch(() => undefined);
  if (info) cfg.onInspected?.(id, info);
  const ms = info ? Date.parse(info.State.StartedAt) : NaN;
  return Number.isFinite(ms) ? { startedAt: ms } : {};
}

function resolved(action: Action, state: State) {
  const app = desiredApp(state, action.app);
  const desired = app ? resolveSpec(app, state) : undefined;
  if (!app?.manifest || !desired?.ok) throw new ActionError('not-resolvable', `cannot ${action.kind} ${action.app}: its spec cannot be resolved now`);
  return { app, desired };
}

interface Prepared {
  env: Record<string, string>;
  imageCmd: string[];
  /** what the host side did that the operator should hear of */
  notes: string[];
}

/** Image, network, host folders and files, secret values: everything a create needs, made ready. */
async function prepare(cfg: ExecutorConfig, spec: ContainerSpec, app: NonNullable<State['apps'][string]>, state: State): Promise<Prepared> {
  const m = app.manifest!;
  // Image and network are independent: asked at once (each a short call while other creates load
  // podman). Both settle before anything else, and the image's failure is the one reported first.
  const [image, network] = await Promise.allSettled([
    ensureImage(cfg, spec.image, app.id, m),
    // only a bridge is ours to create; host, none and a joined namespace are not networks to make
    networkKind(spec.network) === 'bridge' ? ensureNetwork(cfg.docker, spec.network) : undefined,
  ]);
  for (const r of [image, network]) if (r.status === 'rejected') throw r.reason;
  // Rendered from the facts in the projection: the same values the spec hash was taken from.
  const notes = await prepareHost({ dataRoot: cfg.policy?.dataRoot, secret: (name, h) => verifiedSecret(cfg, name, h) }, app, spec, state);
  const env = { ...spec.env, ...(await secretValues(cfg, spec)) };
  const imageCmd = spec.cmd.length > 0 && !spec.command ? await imageCommand(cfg.docker, spec.image) : [];
  return { env, imageCmd, notes };
}

async function createAndStart(cfg: ExecutorConfig, spec: ContainerSpec, hash: string, appId: string, ready: Prepared): Promise<string> {
  const options = createOptions({ spec, specHash: hash, env: ready.env, imageCmd: ready.imageCmd });
  const create = () => call(`create container ${spec.name}`, () => cfg.docker.createContainer(options));
  let container: Docker.Container;
  try {
    container = await create();
  } catch (err) {
    // The name is looked up only when podman refuses it (one call fewer on every create): a
    // container holding it is ours (a half-done recreate: replaced) or someone else's (left alone).
    if (!nameInUse(err)) throw err;
    await removeLeftover(cfg, spec.name, appId);
    container = await create();
  }
  await call(`start container ${spec.name}`, () => container.start(), [304]);
  return container.id;
}

/**
 * podman's refusal of a create because the name is taken: 409 from the compat API of podman 4.4 and
 * later, 500 with "the container name … is already in use" from 4.3.
 */
export function nameInUse(err: unknown): boolean {
  const cause = err instanceof ActionError ? err.cause : err;
  const status = (cause as { statusCode?: number } | undefined)?.statusCode;
  return status === 409 || (status === 500 && /name .*is already in use/i.test(podmanMessage(cause)));
}

async function ensureImage(cfg: ExecutorConfig, image: string, appId: string, m: NonNullable<State['apps'][string]['manifest']>): Promise<void> {
  const pull = m.container.pull_policy;
  const build = m.container.build;
  const present = await imageExists(cfg.docker, image);
  if (present && !(pull === 'always' && !build)) return;
  if (!present && pull === 'never' && !build) {
    throw new ActionError('image-missing', `image ${image} is not present and pull_policy is never: load it with 'podman load' or change pull_policy`);
  }
  if (build) {
    const appDir = path.resolve(cfg.appsDir, appId);
    const context = path.resolve(appDir, build.context);
    // packed as the manifest check hashed it: a link out of the app folder only to a host file the policy lists
    const links = cfg.policy ? { links: { appDir, hostFiles: cfg.policy.buildHostFiles, policyFile: cfg.policy.policyFile } } : {};
    cfg.progress(`building ${image} from ${context}`);
    await buildImage(cfg.docker, { tag: image, context, containerfile: build.containerfile, args: build.args, ...links }, cfg.progress);
  } else {
    cfg.progress(`pulling ${image}`);
    await pullImage(cfg.docker, image, cfg.progress);
  }
}

async function ensureNetwork(docker: Docker, name: string): Promise<void> {
  if (await call(`check network ${name}`, () => networkExists(docker, name))) return;
  await call(`create network ${name}`, () => docker.createNetwork({ Name: name, Driver: 'bridge' }), [409]);
}

/**
 * libpod's existence check (204 or 404), not the compat listing: podman 4.3 answers a listing only
 * after gathering every network's containers, ~220 ms per create while other creates run.
 */
function networkExists(docker: Docker, name: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({
      path: `/v4.0.0/libpod/networks/${encodeURIComponent(name)}/exists`, method: 'GET',
      statusCodes: { 204: true, 404: 'no such network', 500: 'server error' },
    }, (err) => {
      if (!err) resolve(true);
      else if ((err as { statusCode?: number }).statusCode === 404) resolve(false);
      else reject(err);
    });
  });
}

/** The image's CMD, which `custom_args` extend when the manifest sets no command. */
async function imageCommand(docker: Docker, image: string): Promise<string[]> {
  const info = await call(`inspect image ${image}`, () => docker.getImage(image).inspect());
  return info.Config?.Cmd ?? [];
}

/** A container already holding the name: ours (a half-done recreate) is replaced; anyone else's is left alone. */
async function removeLeftover(cfg: ExecutorConfig, name: string, app: string): Promise<void> {
  let info;
  try {
    info = await cfg.docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return;
    throw new ActionError('inspect-failed', `cannot inspect container: ${name}: ${podmanMessage(err)}`, { cause: err });
  }
  if (info.Config.Labels?.[LABELS.app] !== app) {
    throw new ActionError('name-conflict', `cannot create container ${name}: a container not managed by podledger has that name; rename or remove it`);
  }
  // podman reports the stop timeout the container was made with (ours: from its spec)
  const own = (info.Config as { StopTimeout?: number }).StopTimeout;
  await stopAndRemove(cfg, info.Id, typeof own === 'number' && own >= 0 ? own : DEFAULT_STOP_TIMEOUT_S);
}

/** podman's own default, for a container whose spec we do not know */
const DEFAULT_STOP_TIMEOUT_S = 10;

/** A stop call answers once the container is down: up to its stop timeout, plus time to kill and clean up. */
const stopCallTimeoutMs = (stopTimeoutS: number): number => (stopTimeoutS + 60) * 1000;

async function stopAndRemove(cfg: ExecutorConfig, id: string, timeout: number): Promise<void> {
  const patient = await cfg.patientClient(stopCallTimeoutMs(timeout));
  await call(`stop container ${id.slice(0, 12)}`, () => patient.getContainer(id).stop({ t: timeout }), [304, 404]);
  await call(`remove container ${id.slice(0, 12)}`, () => cfg.docker.getContainer(id).remove({ v: false }), [404]);
}

async function secretValues(cfg: ExecutorConfig, spec: ContainerSpec): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [key, { secret, hash }] of Object.entries(spec.secretEnv)) env[key] = await verifiedSecret(cfg, secret, hash);
  return env;
}

/** The secret's value, provided it is still the one the plan hashed. */
async function verifiedSecret(cfg: ExecutorConfig, name: string, expectedHash: string | undefined): Promise<string> {
  if (!cfg.secretsDir) throw new ActionError('secret-missing', `cannot read secret ${name}: no --secrets folder given`);
  let raw: Buffer;
  try {
    raw = await readFile(path.join(cfg.secretsDir, name));
  } catch (cause) {
    throw new ActionError('secret-missing', `cannot read secret ${name} in ${cfg.secretsDir}: ${(cause as NodeJS.ErrnoException).code}`, { cause });
  }
  const value = secretValue(raw);
  if (expectedHash && secretHash(cfg.nodeKey, value) !== expectedHash) {
    throw new ActionError('secret-changed', `secret ${name} changed since it was observed; re-planning`);
  }
  return value;
}

/** A podman call whose failure becomes an ActionError naming the operation; `ok` lists harmless status codes. */
async function call<T>(what: string, fn: () => Promise<T>, ok: number[] = []): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && ok.includes(status)) return undefined as T;
    throw new ActionError(status ? `http-${status}` : 'podman-call-failed', `cannot ${what}: ${podmanMessage(err)}`, { cause: err });
  }
}
