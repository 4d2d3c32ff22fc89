// Inventory: what podman runs, read in full — our labelled containers, the ones we adopted (which
// carry no labels), and containers made elsewhere under one of our apps' names — compared with what
// each should be running.
import type Docker from 'dockerode';
import type { ContainerStateName, Difference } from '../core/events.js';
import type { ObservedContainer } from '../core/observations.js';
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
  const inspect = (id: string) => docker.getContainer(id).inspect() as Promise<InspectedContainer & { State: { ExitCode: number; OOMKilled?: boolean } }>;

  for (const c of list) {
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    const app = c.Labels?.[LABELS.app] ?? adopted.get(c.Id);
    if (!app) continue;
    const state_ = stateName(c.State);
    const known = state.containers[app];
    const reference = referenceSpec(state, app, c.Id, c.Labels?.[LABELS.specHash]);
    const info = state_ === 'exited' || reference ? await inspect(c.Id).catch(() => undefined) : undefined;
    const hashVersion = Number(c.Labels?.[LABELS.hashVersion]);
    // An adopted container has no label: its hash is the one recorded when it was adopted.
    const specHash = c.Labels?.[LABELS.specHash] ?? (known?.id === c.Id ? known.specHash : undefined);
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
