// One app's container as a Kubernetes container: image, command, env, ports, resources, security
// and probes. Each manifest field that has no Kubernetes form is reported as a gap.
import type { Manifest } from '../manifest/schema.js';
import type { ContainerSpec } from '../spec-schema.js';
import type { KubeGap, Probe } from './model.js';
import { SECRET_KEY, secretObjectName } from './names.js';

type Gap = (field: string, why: string) => void;

const PULL: Record<Manifest['container']['pull_policy'], string> = { missing: 'IfNotPresent', always: 'Always', never: 'Never' };

/** Whole seconds, rounded up, at least `min`: Kubernetes times probes and grace periods in seconds. */
const seconds = (ms: number, min = 1) => Math.max(min, Math.ceil(ms / 1000));

export function containerOf(m: Manifest, spec: ContainerSpec, gap: Gap): Record<string, unknown> {
  return {
    name: spec.name,
    image: spec.image,
    imagePullPolicy: m.container.build ? 'IfNotPresent' : PULL[m.container.pull_policy],
    ...commandOf(spec, gap),
    ...envOf(spec),
    ...(spec.ports.length > 0 ? { ports: spec.ports.map((p) => ({ containerPort: p.container, hostPort: p.host, protocol: p.protocol.toUpperCase(), ...(p.hostIp ? { hostIP: p.hostIp } : {}) })) } : {}),
    ...resourcesOf(spec),
    ...securityOf(spec, gap),
    ...probesOf(spec),
  };
}

/** podledger: entrypoint replaces ENTRYPOINT, command replaces CMD, custom_args go after either. Kubernetes: command and args. */
function commandOf(spec: ContainerSpec, gap: Gap): Record<string, string[]> {
  const args = spec.command ? [...spec.command, ...spec.cmd] : undefined;
  if (!spec.command && spec.cmd.length > 0) {
    gap('container.custom_args', "appended to the image's own CMD, which a Kubernetes container can only replace (args); set container.command in the manifest to the full command");
  }
  return { ...(spec.entrypoint ? { command: spec.entrypoint } : {}), ...(args ? { args } : {}) };
}

function envOf(spec: ContainerSpec): Record<string, unknown> {
  const env = [
    ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
    ...Object.entries(spec.secretEnv).map(([name, s]) => ({ name, valueFrom: { secretKeyRef: { name: secretObjectName(s.secret), key: SECRET_KEY } } })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return env.length > 0 ? { env } : {};
}

function resourcesOf(spec: ContainerSpec): Record<string, unknown> {
  const { memory, cpus } = spec.resources;
  if (memory === undefined && cpus === undefined) return {};
  // limits only: podledger sets no reservation, and a request defaults to the limit
  return { resources: { limits: { ...(cpus !== undefined ? { cpu: `${Math.max(1, Math.round(cpus * 1000))}m` } : {}), ...(memory !== undefined ? { memory: String(memory) } : {}) } } };
}

function securityOf(spec: ContainerSpec, gap: Gap): Record<string, unknown> {
  const s = spec.security;
  const ctx: Record<string, unknown> = {};
  if (s.capAdd.length > 0 || s.capDrop.length > 0) {
    ctx.capabilities = { ...(s.capAdd.length > 0 ? { add: s.capAdd } : {}), ...(s.capDrop.length > 0 ? { drop: s.capDrop } : {}) };
  }
  if (s.readOnlyRoot) ctx.readOnlyRootFilesystem = true;
  if (s.noNewPrivileges) ctx.allowPrivilegeEscalation = false;
  if (spec.user) {
    const [user, group] = spec.user.split(':') as [string, string | undefined];
    const numeric = (v: string) => /^\d+$/.test(v);
    if (numeric(user)) ctx.runAsUser = Number(user);
    if (group !== undefined && numeric(group)) ctx.runAsGroup = Number(group);
    if (!numeric(user) || (group !== undefined && !numeric(group))) {
      gap('container.user', `${spec.user}: Kubernetes runs as numeric ids only (runAsUser, runAsGroup); give the uid[:gid] in the manifest`);
    }
  }
  return Object.keys(ctx).length > 0 ? { securityContext: ctx } : {};
}

/**
 * The health check as a readiness and a liveness probe of one shape. interval → periodSeconds,
 * timeout → timeoutSeconds, retries → failureThreshold, start_period → the liveness probe's
 * initialDelaySeconds (failures in it do not count), each rounded up to whole seconds.
 */
function probesOf(spec: ContainerSpec): Record<string, unknown> {
  const hc = spec.healthCheck;
  if (!hc) return {};
  const action: Probe = hc.type === 'http' ? { httpGet: { path: hc.path ?? '/', port: hc.port } }
    : hc.type === 'tcp' ? { tcpSocket: { port: hc.port } } : { exec: { command: hc.command ?? [] } };
  const timing = { periodSeconds: seconds(hc.intervalMs), timeoutSeconds: seconds(hc.timeoutMs), failureThreshold: hc.retries };
  const delay = hc.startPeriodMs > 0 ? { initialDelaySeconds: seconds(hc.startPeriodMs, 0) } : {};
  return { readinessProbe: { ...action, ...timing }, livenessProbe: { ...action, ...timing, ...delay } };
}

export type { KubeGap };
