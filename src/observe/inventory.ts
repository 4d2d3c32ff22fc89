// Inventory: every container that carries our label, as podman reports it now.
import type Docker from 'dockerode';
import type { ContainerStateName } from '../core/events.js';
import type { ObservedContainer } from '../core/observations.js';
import { LABELS } from '../core/spec.js';

const STATES: ReadonlySet<string> = new Set(['created', 'running', 'paused', 'exited', 'stopped']);

export function stateName(raw: string | undefined): ContainerStateName {
  const s = (raw ?? '').toLowerCase();
  if (s === 'configured') return 'created';
  return (STATES.has(s) ? s : 'unknown') as ContainerStateName;
}

export async function listManaged(docker: Docker): Promise<ObservedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABELS.app] } });
  const observed: ObservedContainer[] = [];
  for (const c of list) {
    const app = c.Labels?.[LABELS.app];
    if (!app) continue;
    const state = stateName(c.State);
    let exitCode: number | undefined;
    if (state === 'exited' || state === 'stopped') {
      // The list has no exit code; inspect only the containers that stopped.
      const info = await docker.getContainer(c.Id).inspect().catch(() => undefined);
      exitCode = info?.State.ExitCode;
    }
    const hashVersion = Number(c.Labels[LABELS.hashVersion]);
    observed.push({
      app,
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      state: state === 'stopped' ? 'exited' : state,
      image: c.Image,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(c.Labels[LABELS.specHash] ? { specHash: c.Labels[LABELS.specHash] } : {}),
      ...(Number.isInteger(hashVersion) ? { hashVersion } : {}),
    });
  }
  return observed;
}
