// How the podman adapter spells a port binding and a mount: the create request (container-options.ts)
// keys ports by them, and the comparison with `podman inspect` (compare.ts) writes the spec's side and
// podman's side of a difference in them, so the two sides always read alike.

/** A container port as the compat API keys it (ExposedPorts, PortBindings): `8080/tcp`. */
export const portKey = (p: { container: number; protocol: string }): string => `${p.container}/${p.protocol}`;

/** A key as podman echoes it back: one without a protocol is tcp. */
export const echoedPortKey = (key: string): string => (key.includes('/') ? key : `${key}/tcp`);

/** A port binding in a difference: `hostIp:hostPort->8080/tcp`, the host IP empty for every address. */
export const portText = (hostIp: string, hostPort: number | string | undefined, key: string): string => `${hostIp}:${hostPort}->${key}`;

/** A bind or volume mount in a difference: `bind /srv/web/conf:/conf:ro`, `volume web-cache:/cache`. */
export const mountText = (type: string | undefined, source: string | undefined, target: string | undefined, readOnly: boolean): string =>
  `${type} ${source}:${target}${readOnly ? ':ro' : ''}`;
