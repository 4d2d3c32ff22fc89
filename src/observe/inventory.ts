// Inventory: what podman runs, read in full — our labelled containers, the ones we adopted (which
// carry no labels), and containers made elsewhere under one of our apps' names — compared with what
// each should be running.
import type Docker from 'dockerode';
import type { ContainerStateName, Difference } from '../core/events.js';
import type { ObservedContainer } from '../core/observations.js';
import { hashFromLabel } from '../core/kube/names.js';
import { desiredApp, LABELS, resolveSpec } from '../core/spec.js';
import type { ContainerSpec } from '../core/spec-schema.js';
import type { State } from '../core/state.js';
import { compareContainer, type InspectedContainer } from '../podman/compare.js';
import { listAllContainers } from '../podman/client.js';

const STATES: ReadonlySet<string> = new Set(['created', 'running', 'paused', 'exited', 'stopped']);

export function stateName(raw: string | undefined): ContainerStateName {
  const s = (raw ?? '').toLowerCase();
  if (s === 'configured') return 'created';
  if (s === 'stopped') return 'exited';
  if (s === 'stopping') return 'running'; // still running until it stops; its exit is reported then
  return (STATES.has(s) ? s : 'unknown') as ContainerStateName;
}

export interface Inventory {
  managed: ObservedContainer[];
  /** containers named like one of our apps' containers, not made by us */
  unmanaged: { app: string; id: string; name: string; image: string; differences: Difference[] }[];
  /** managed, running containers whose configuration no longer matches the spec they were made from */
  drift: { app: string; id: string; differences: Difference[] }[];
}

export async function readInventory(docker: Docker, state: State, hashSecret: (value: string) => string): Promise<Inventory> {
  const list = await listAllContainers(docker);
  const adopted = new Map(Object.entries(state.containers).filter(([, c]) => c.adopted).map(([app, c]) => [c.id, app]));
  const inventory: Inventory = { managed: [], unmanaged: [], drift: [] };
  const inspect = async (id: string) => publishedThroughPod(docker, await (docker.getContainer(id).inspect() as Promise<InspectedContainer & { State: { ExitCode: number; OOMKilled?: boolean } }>));
  const helpers = podHelpers(list, state);

  for (const c of list) {
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    const app = c.Labels?.[LABELS.app] ?? adopted.get(c.Id);
    if (!app || helpers.has(c.Id)) continue;
    const state_ = stateName(c.State);
    const known = state.containers[app];
    // a pod from `podledger kube` carries the hash in base32: label values stop at 63 characters there
    const labelHash = c.Labels?.[LABELS.specHash] ?? hashFromLabel(c.Labels?.[LABELS.specHashLabel] ?? '');
    const reference = referenceSpec(state, app, c.Id, labelHash);
    const info = state_ === 'exited' || reference ? await inspect(c.Id).catch(() => undefined) : undefined;
    const hashVersion = Number(c.Labels?.[LABELS.hashVersion]);
    // An adopted container has no label: its hash is the one recorded when it was adopted.
    const specHash = labelHash ?? (known?.id === c.Id ? known.specHash : undefined);
    inventory.managed.push({
      app, id: c.Id, name, state: state_, image: c.Image,
      ...(state_ === 'exited' && info ? { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled === true } : {}),
      ...(specHash ? { specHash } : {}),
      ...(Number.isInteger(hashVersion) ? { hashVersion } : {}),
    });
    if (info && reference && state_ === 'running') {
      inventory.drift.push({ app, id: c.Id, differences: compareContainer(reference, info, hashSecret) });
    }
  }

  const claimed = new Set(inventory.managed.map((m) => m.app));
  const byName = new Map(list.map((c) => [(c.Names?.[0] ?? '').replace(/^\//, ''), c]));
  for (const id of Object.keys(state.apps).sort()) {
    if (claimed.has(id)) continue;
    const config = desiredApp(state, id);
    const desired = config ? resolveSpec(config, state) : undefined;
    if (!desired?.ok) continue;
    const other = byName.get(desired.spec.name);
    if (!other || other.Labels?.[LABELS.app]) continue;
    const info = await inspect(other.Id).catch(() => undefined);
    if (!info) continue;
    inventory.unmanaged.push({ app: id, id: other.Id, name: desired.spec.name, image: other.Image, differences: compareContainer(desired.spec, info, hashSecret) });
  }
  return inventory;
}

/**
 * What a managed container should be running: the spec recorded when we made it, or — for one
 * recreated by hand with our labels copied — the desired spec, when its label claims that hash.
 */
function referenceSpec(state: State, app: string, id: string, labelHash: string | undefined): ContainerSpec | undefined {
  const known = state.containers[app];
  if (known?.id === id && known.spec) return known.spec;
  const config = desiredApp(state, app);
  const desired = config ? resolveSpec(config, state) : undefined;
  return desired?.ok && labelHash === desired.hash ? desired.spec : undefined;
}

/**
 * A container sharing another's network namespace publishes nothing itself: under `podman kube play`
 * the pod's infra container holds the app's ports, so they are read from there.
 */
async function publishedThroughPod<T extends InspectedContainer>(docker: Docker, info: T): Promise<T> {
  const owner = /^container:(.+)$/.exec(info.HostConfig.NetworkMode ?? '')?.[1];
  if (!owner || Object.keys(info.HostConfig.PortBindings ?? {}).length > 0) return info;
  const infra = await (docker.getContainer(owner).inspect() as Promise<InspectedContainer>).catch(() => undefined);
  return infra ? { ...info, HostConfig: { ...info.HostConfig, PortBindings: infra.HostConfig.PortBindings ?? null } } : info;
}

/**
 * A pod from `podledger kube` labels every container in it with its app (Kubernetes labels are the
 * pod's): kube play names the app's own `<pod>-<container>`, both the app's container name, and the
 * rest (init containers waiting for a dependency) are the pod's helpers, not the app's container.
 */
function podHelpers(list: Awaited<ReturnType<typeof listAllContainers>>, state: State): Set<string> {
  const byApp = new Map<string, { id: string; name: string }[]>();
  for (const c of list) {
    const app = c.Labels?.[LABELS.app];
    if (app) byApp.set(app, [...(byApp.get(app) ?? []), { id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, '') }]);
  }
  const helpers = new Set<string>();
  for (const [app, containers] of byApp) {
    const m = state.apps[app]?.manifest;
    if (containers.length < 2 || !m) continue;
    const name = m.container.name ?? app;
    const own = containers.filter((c) => c.name === name || c.name === `${name}-${name}`);
    if (own.length === 1) for (const c of containers) if (c !== own[0]) helpers.add(c.id);
  }
  return helpers;
}
