// What a manifest hands to podman or to the host's filesystem, checked where it is written: paths,
// devices, image references, network modes. Each check returns what is wrong and how to fix it, or
// undefined; schema.ts turns that into an error at the field, so a bad value never reaches podman.
import path from 'node:path/posix';
import * as z from 'zod';

/** NUL, the other C0 control characters (tab, newline...), DEL and the C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `contains the control character U+000A` for the first control character, if any. */
function controlIn(text: string): string | undefined {
  const hit = CONTROL.exec(text)?.[0];
  return hit === undefined ? undefined : `contains the control character U+${hit.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}; remove it`;
}

/** `/a//b/./c/` → `/a/b/c`: what podman and the kernel would make of an absolute path. */
export function normalisedAbsolute(p: string): string {
  const n = path.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/**
 * An absolute path as podman takes it in a mount: normalised (so what the policy checks is what is
 * mounted) and without `:` or `,`, which podman reads as separators even in structured mounts.
 */
export function absolutePathProblem(p: string, what: string, allowRoot: boolean): string | undefined {
  const control = controlIn(p);
  if (control) return control;
  if (!p.startsWith('/')) return `must be an absolute ${what}, starting with /; write the full path`;
  const separator = [':', ','].find((c) => p.includes(c));
  if (separator) return `must not contain '${separator}' (podman reads ':' and ',' as separators); use a path without them`;
  const normal = normalisedAbsolute(p);
  if (normal !== p) return `must be written normalised (no '.' or '..' parts, no '//', no trailing '/'); write ${normal}`;
  if (p === '/' && !allowRoot) return 'must not be / itself; name a folder below it';
  return undefined;
}

/** A path relative to a folder of the app (`inside`), which it must not leave. */
export function relativePathProblem(p: string, inside: string, isFile: boolean): string | undefined {
  const control = controlIn(p);
  if (control) return control;
  if (p === '') return 'must not be empty';
  if (p.startsWith('/')) return `must be relative to ${inside}, not absolute; write it without the leading /`;
  if (p.split('/').includes('..')) return `must stay inside ${inside}; remove the '..' parts`;
  const normal = path.normalize(p).replace(/\/+$/, '') || '.';
  if (normal !== p) return `must be written normalised (no '.' parts, no '//', no trailing '/'); write ${normal}`;
  if (isFile && p === '.') return `must name a file inside ${inside}, not ${inside} itself`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Devices: /dev/HOST[:/dev/CONTAINER][:rwm]

const DEVICE_FORMAT = 'must be /dev/HOST[:/dev/CONTAINER][:rwm]';

export interface Device { host: string; container: string; permissions: string }

/** The parts of a device the schema accepted. */
export function parseDevice(text: string): Device {
  const [host, second, third] = text.split(':') as [string, string | undefined, string | undefined];
  const inContainer = second?.startsWith('/') ? second : undefined;
  return { host, container: inContainer ?? host, permissions: (inContainer !== undefined ? third : second) ?? 'rwm' };
}

export function deviceProblem(text: string): string | undefined {
  const control = controlIn(text);
  if (control) return control;
  const parts = text.split(':');
  const [host = '', second, third] = parts;
  const hasContainer = second?.startsWith('/') ?? false;
  if (parts.length > 3 || (parts.length === 3 && !hasContainer)) return `${DEVICE_FORMAT}; '${text}' has too many ':' parts`;
  const pathProblem = devicePathProblem(host, 'host device') ?? (hasContainer ? devicePathProblem(second as string, 'container device') : undefined);
  if (pathProblem) return pathProblem;
  const permissions = hasContainer ? third : second;
  if (permissions !== undefined && (!/^[rwm]{1,3}$/.test(permissions) || new Set(permissions).size !== permissions.length)) {
    return `permissions '${permissions}' must be r, w and m, each at most once (e.g. rw); ${DEVICE_FORMAT}`;
  }
  return undefined;
}

function devicePathProblem(p: string, what: string): string | undefined {
  if (!p.startsWith('/')) return `${what} path '${p}' is not absolute; ${DEVICE_FORMAT}`;
  if (/[,\s]/.test(p)) return `${what} path ${p} must not contain ',' or blanks; name the device node itself`;
  const normal = normalisedAbsolute(p);
  if (!normal.startsWith('/dev/')) return `${what} path ${p} must lie under /dev${normal !== p ? ` (it comes to ${normal})` : ''}; ${DEVICE_FORMAT}`;
  if (normal !== p) return `${what} path ${p} must be written normalised; write ${normal}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Image references: [registry[:port]/]name[:tag][@sha256:digest]

const IMAGE_MAX = 512;
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?/)?${PATH_PART}(?:/${PATH_PART})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

export function imageProblem(ref: string): string | undefined {
  const control = controlIn(ref);
  if (control) return control;
  if (ref.length > IMAGE_MAX) return `is ${ref.length} characters long; an image reference has at most ${IMAGE_MAX}`;
  if (ref.startsWith('-')) return "must not start with '-'; write [registry/]name[:tag][@sha256:digest]";
  if (!IMAGE_REFERENCE.test(ref)) {
    return `'${ref}' is not an image reference; write [registry/]name[:tag][@sha256:digest] with a lower-case name, e.g. docker.io/library/nginx:1.27`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Networks

/** A bridge network podledger creates when missing; podman's own network modes are not names. */
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Words podman reads as a network mode, not as a network's name. */
const PODMAN_MODES = ['bridge', 'default', 'private', 'slirp4netns', 'pasta', 'pod'];

export type NetworkKind = 'bridge' | 'host' | 'none' | 'container' | 'ns';

/** How podman will read a network value the schema accepted. `container` and `ns` join another namespace. */
export function networkKind(network: string): NetworkKind {
  if (network === 'host' || network === 'none') return network;
  if (network.startsWith('container:')) return 'container';
  if (network.startsWith('ns:')) return 'ns';
  return 'bridge';
}

const NETWORK_CHOICES = 'a bridge network name (letters, digits, _ . -, at most 63), host, none, '
  + 'or, where the node policy allows join-namespace, container:NAME or ns:/PATH';

export function networkProblem(network: string): string | undefined {
  const control = controlIn(network);
  if (control) return control;
  if (network.startsWith('container:')) {
    const name = network.slice('container:'.length);
    return CONTAINER_NAME.test(name) ? undefined : `container:NAME needs a container name (letters, digits, _ . -) after 'container:', not '${name}'`;
  }
  if (network.startsWith('ns:')) {
    const problem = absolutePathProblem(network.slice('ns:'.length), 'namespace path', false);
    return problem ? `ns:PATH: the path ${problem}` : undefined;
  }
  if (network === 'host' || network === 'none' || (NETWORK_NAME.test(network) && !PODMAN_MODES.includes(network))) return undefined;
  const why = PODMAN_MODES.includes(network.split(':')[0] ?? '') ? ` ('${network.split(':')[0]}' is a podman network mode podledger does not use)` : '';
  return `'${network}' is not a network podledger can use${why}; write ${NETWORK_CHOICES}`;
}

// ---------------------------------------------------------------------------------------------
// As zod schemas

/**
 * A string checked by `problem`; its message is the error at the field. `pattern` is for the JSON
 * Schema only (an editor's hint): a condition every accepted value meets, not the whole check.
 */
export const checked = (problem: (s: string) => string | undefined, pattern?: string) => {
  const schema = z.string().superRefine((s, ctx) => {
    const message = problem(s);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });
  return pattern === undefined ? schema : schema.meta({ pattern });
};

const NO_CONTROL = '\\u0000-\\u001f\\u007f-\\u009f';
export const hostPath = (allowRoot: boolean) => checked((p) => absolutePathProblem(p, 'host path', allowRoot), `^/[^:,${NO_CONTROL}]*$`);
export const relativePath = (inside: string, isFile: boolean) => checked((p) => relativePathProblem(p, inside, isFile), `^[^/${NO_CONTROL}][^${NO_CONTROL}]*$`);
/** The fields used as they are, each built once per call: schema.ts builds its schemas on first use, not at load. */
export const fieldSchemas = () => ({
  containerPath: checked((p) => absolutePathProblem(p, 'container path', false), `^/[^:,${NO_CONTROL}]*$`),
  deviceField: checked(deviceProblem, `^/dev/[^,\\s${NO_CONTROL}]+$`),
  imageReference: checked(imageProblem, '^[A-Za-z0-9][A-Za-z0-9._:/@-]*$'),
  networkField: checked(networkProblem),
  noNul: checked((s) => (s.includes('\0') ? 'must not contain a NUL character; remove it' : undefined)),
});
