// Where the engine reaches a container's own port: its address on its network, read from `podman
// inspect`. Probing a port published on the host would need every checked port published (opening
// it to the LAN) and would test podman's port forwarding as much as the app.
import type Docker from 'dockerode';
import { networkKind } from '../core/manifest/fields.js';

/** The parts of `podman inspect` (compat API) that say where a container can be reached. */
export interface InspectedAddress {
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: {
    IPAddress?: string;
    GlobalIPv6Address?: string;
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string } | null> | null;
  } | null;
}

export type ProbeHost = { ok: true; host: string } | { ok: false; why: string };

const LOOPBACK = '127.0.0.1';

/**
 * The address to probe a container at, by the network it was created on: the host's loopback on
 * `host` (it shares the host's ports); on a bridge, its address on that network (podman lists one
 * entry per network; a container on the default network may only fill the top-level address).
 * `none` and `ns:PATH` give the engine nothing to connect to (validation refuses http/tcp there).
 */
export function probeHost(network: string, inspected: InspectedAddress): ProbeHost {
  const kind = networkKind(network);
  if (kind === 'host') return { ok: true, host: LOOPBACK };
  if (kind === 'none' || kind === 'ns') return { ok: false, why: `network ${network} has no address the engine can reach; use an exec check` };
  const settings = inspected.NetworkSettings ?? {};
  const networks = settings.Networks ?? {};
  const named = kind === 'bridge' ? networks[network] : undefined;
  const candidates = [named, settings, ...Object.values(networks)];
  for (const c of candidates) {
    const ip = c?.IPAddress || c?.GlobalIPv6Address;
    if (ip) return { ok: true, host: ip };
  }
  return { ok: false, why: `podman lists no IP address for it on network ${network}` };
}

/**
 * The inspects that followed a start (the executor reads the start time with one), kept until the
 * health monitor asks for the address: one podman call fewer between a start and its first probe.
 * Taken once; used only for the run it was read from (its start time); a few dozen at most kept.
 */
export class StartInspects {
  readonly #kept = new Map<string, InspectedAddress & { State?: { StartedAt?: string } }>();

  remember(id: string, info: InspectedAddress & { State?: { StartedAt?: string } }): void {
    this.#kept.delete(id);
    this.#kept.set(id, info);
    for (const old of this.#kept.keys()) {
      if (this.#kept.size <= KEPT_INSPECTS) break;
      this.#kept.delete(old);
    }
  }

  /** The address from the inspect of this run of the container, if one is kept and names one. */
  take(id: string, network: string, startedAt: number): ProbeHost | undefined {
    const info = this.#kept.get(id);
    this.#kept.delete(id);
    // a joined namespace is reached at its owner's address, which this inspect does not hold
    if (!info || networkKind(network) === 'container' || Date.parse(info.State?.StartedAt ?? '') !== startedAt) return undefined;
    const host = probeHost(network, info);
    return host.ok ? host : undefined;
  }
}

/** more than the starts a daemon has in flight at once; the rest never had a health check to take them */
const KEPT_INSPECTS = 64;

/**
 * Read container `id`'s probe address from podman. A container that joined another's namespace
 * (`container:NAME`) has no address of its own: it is reached at that container's.
 */
export async function readProbeHost(docker: Docker, id: string, network: string): Promise<ProbeHost> {
  const kind = networkKind(network);
  if (kind === 'host' || kind === 'none' || kind === 'ns') return probeHost(network, {});
  const inspected = await docker.getContainer(id).inspect() as InspectedAddress;
  if (kind !== 'container') return probeHost(network, inspected);
  const owner = network.slice('container:'.length);
  const joined = await docker.getContainer(owner).inspect() as InspectedAddress;
  const mode = joined.HostConfig?.NetworkMode ?? '';
  // podman's compat inspect says `bridge` for any bridge network: the entries under Networks name them
  return probeHost(mode === 'host' ? 'host' : Object.keys(joined.NetworkSettings?.Networks ?? {})[0] ?? 'bridge', joined);
}
