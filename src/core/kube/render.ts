// The catalog as Kubernetes objects: per secret file a Secret, per app its files' ConfigMap (and
// Secret), claims, and a Pod or a one-replica Recreate Deployment. Pure: the command line reads the
// files and prints; what a manifest asks that Kubernetes cannot say comes back as gaps.
import { networkKind } from '../manifest/fields.js';
import { containerNameOf, dependenciesOf, type Manifest } from '../manifest/schema.js';
import { containerOf } from './container.js';
import type { KubeApp, KubeDocument, KubeGap, KubeInput, KubeObject, KubeOutput } from './model.js';
import { dnsLabel, isDnsLabel, podLabels, SECRET_KEY, secretObjectName } from './names.js';
import { volumesOf } from './volumes.js';

/** A manifest whose names Kubernetes cannot take: the catalog cannot be rendered until it is renamed. */
export class KubeNameError extends Error {
  constructor(readonly app: string, readonly field: string, readonly value: string) {
    super(`app ${app}: ${field} '${value}' is not a Kubernetes name (lower-case letters, digits and '-', at most 63, not ending in '-'); rename it in the manifest`);
    this.name = 'KubeNameError';
  }
}

/** kube play runs "once" init containers and then fails to remove them (podman 4.3); "always" keeps them, exited. */
export const PODMAN_INIT_ANNOTATION = { 'io.podman.annotations.init.container.type': 'always' } as const;

const RESTART: Record<Manifest['container']['restart'], string> = { always: 'Always', 'on-failure': 'OnFailure', no: 'Never' };

export function renderKube(input: KubeInput): KubeOutput {
  const gaps: KubeGap[] = [];
  const notes: KubeGap[] = [];
  const byId = new Map(input.apps.map((a) => [a.manifest.app.id, a]));
  const documents: KubeDocument[] = [...secretDocuments(input)];
  for (const app of input.apps) {
    const gap = (field: string, why: string) => gaps.push({ app: app.manifest.app.id, field, why });
    const note = (field: string, why: string) => notes.push({ app: app.manifest.app.id, field, why });
    documents.push(...appDocuments(app, input, byId, gap, note));
  }
  return { documents, gaps, notes };
}

/** One Secret per secret file any app uses, values only when given; never a hash of one. */
function secretDocuments(input: KubeInput): KubeDocument[] {
  const users = new Map<string, Set<string>>();
  for (const a of input.apps) {
    for (const s of Object.values(a.spec.secretEnv)) users.set(s.secret, (users.get(s.secret) ?? new Set()).add(a.manifest.app.id));
  }
  return [...users.keys()].sort().map((file) => {
    const value = input.secretValues?.[file];
    const object: KubeObject = {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: secretObjectName(file), labels: { 'podledger.secret': dnsLabel(file) } },
      type: 'Opaque', stringData: { [SECRET_KEY]: value ?? '' },
    };
    const used = [...users.get(file)!].sort().join(', ');
    return value !== undefined ? { object, comment: `the secret file ${file} (used by ${used})` }
      : { object, comment: `FILL IN: stringData.${SECRET_KEY} is the content of the secret file ${file} (used by ${used}); rendered without --with-secrets, so it is empty` };
  });
}

function appDocuments(app: KubeApp, input: KubeInput, byId: ReadonlyMap<string, KubeApp>, gap: (f: string, w: string) => void, note: (f: string, w: string) => void): KubeDocument[] {
  const m = app.manifest;
  const id = m.app.id;
  const pod = containerNameOf(m);
  if (!isDnsLabel(id)) throw new KubeNameError(id, 'app.id', id);
  if (!isDnsLabel(pod)) throw new KubeNameError(id, 'container.name', pod);
  const docs: KubeDocument[] = [];
  const v = volumesOf(pod, app.spec, app.files, gap);
  if (v.configMap) docs.push({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: v.configMap.name, labels: { 'podledger.app': id } }, data: v.configMap.data }, comment: `app ${id}: its rendered files` });
  if (v.fileSecret) {
    docs.push({
      object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: v.fileSecret.name, labels: { 'podledger.app': id } }, type: 'Opaque', stringData: v.fileSecret.data },
      comment: v.fileSecret.filled ? `app ${id}: its rendered files that hold secrets`
        : `FILL IN: app ${id}: its rendered files that hold {{secret:...}}, each the file as podledger renders it; rendered without --with-secrets, so they are empty`,
    });
  }
  for (const claim of v.claims) {
    docs.push({
      object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim, labels: { 'podledger.app': id } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      comment: `app ${id}: the named volume ${claim}; podman kube play makes it a volume of that name; SET the size for a cluster (1Gi is a placeholder)`,
    });
  }
  const inits = initContainers(app, byId, input.waitImage, gap, note);
  const podSpec = {
    ...(input.workload === 'pod' ? { restartPolicy: RESTART[m.container.restart] } : {}),
    ...networkOf(m, gap),
    ...(app.spec.hostname ? { hostname: app.spec.hostname } : {}),
    terminationGracePeriodSeconds: app.spec.stopTimeout,
    ...(inits.length > 0 ? { initContainers: inits } : {}),
    containers: [{ ...containerOf(m, app.spec, gap), ...(v.mounts.length > 0 ? { volumeMounts: v.mounts } : {}) }],
    ...(v.volumes.length > 0 ? { volumes: v.volumes } : {}),
  };
  unexpressed(app, input, gap, note);
  const labels = podLabels(id, app.specHash, input.hashVersion);
  const metadata = { name: pod, labels, ...(inits.length > 0 ? { annotations: { ...PODMAN_INIT_ANNOTATION } } : {}) };
  const workload: KubeObject = input.workload === 'pod'
    ? { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec }
    : {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: pod, labels },
      spec: { replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { 'podledger.app': id } }, template: { metadata: { labels, ...(metadata.annotations ? { annotations: metadata.annotations } : {}) }, spec: podSpec } },
    };
  docs.push({ object: workload, comment: `app ${id} (${m.app.name} ${m.app.version})` });
  return docs;
}

/** Wait for each `condition: healthy` dependency's own probe, from the dependency's address by name. */
function initContainers(app: KubeApp, byId: ReadonlyMap<string, KubeApp>, image: string, gap: (f: string, w: string) => void, note: (f: string, w: string) => void): Record<string, unknown>[] {
  const inits: Record<string, unknown>[] = [];
  dependenciesOf(app.manifest).forEach((d, i) => {
    const field = `dependencies[${i}]`;
    if (d.restart) gap(`${field}.restart`, `${d.app}: restarting this app when ${d.app} gets a new container has no Kubernetes form; restart it by hand (kubectl rollout restart, podman pod restart)`);
    const dep = byId.get(d.app);
    if (d.condition !== 'healthy') {
      note(field, `${d.app} started first: Kubernetes starts pods independently; podman kube play follows the documents' order, which puts ${d.app} first`);
      return;
    }
    const hc = dep?.spec.healthCheck;
    if (!dep || !hc) return; // no check: running is as healthy as it can be shown (as podledger decides)
    const host = containerNameOf(dep.manifest);
    // not `wget -T`: it segfaults in busybox 1.35 (examples/demo/apps/electrs/run.sh)
    const probe = hc.type === 'http' ? `timeout ${Math.ceil(hc.timeoutMs / 1000)} wget -q -O /dev/null http://${host}:${hc.port}${hc.path ?? '/'}`
      : hc.type === 'tcp' ? `nc -w ${Math.ceil(hc.timeoutMs / 1000)} ${host} ${hc.port} </dev/null` : undefined;
    if (!probe) {
      gap(field, `${d.app} healthy: its check runs a command inside ${d.app}'s container, which another pod cannot run; give ${d.app} an http or tcp health check, or start this app by hand once ${d.app} is ready`);
      return;
    }
    inits.push({
      name: dnsLabel(`wait-${d.app}`), image, imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', '-c', `until ${probe}; do echo "waiting for ${d.app} to be healthy"; sleep ${Math.max(1, Math.ceil(hc.intervalMs / 1000))}; done`],
    });
  });
  return inits;
}

function networkOf(m: Manifest, gap: (f: string, w: string) => void): Record<string, unknown> {
  const net = m.container.network;
  const kind = networkKind(net);
  if (kind === 'host') return { hostNetwork: true };
  if (kind === 'bridge') {
    gap('container.network', `${net}: a pod joins the engine's pod network; with podman kube play pass --network ${net}; in a cluster, apps reach ${containerNameOf(m)} by name only through a Service of that name (not rendered)`);
  } else {
    gap('container.network', `${net}: a pod has a network of its own; it cannot go without one or join another container's namespace`);
  }
  return {};
}

/** Fields with no Kubernetes form, and what the operator does about them. */
function unexpressed(app: KubeApp, input: KubeInput, gap: (f: string, w: string) => void, note: (f: string, w: string) => void): void {
  const c = app.manifest.container;
  c.devices.forEach((d, i) => gap(`container.devices[${i}]`, `${d}: a host device needs a device plugin or a privileged pod in Kubernetes; podman kube play has no field for it`));
  if (c.data_uid) gap('container.data_uid', `${c.data_uid}: podledger chowns the bind sources before create; chown the hostPath folders on the node (or use fsGroup with volumes that support it)`);
  if (input.workload === 'deployment' && c.restart !== 'always') gap('container.restart', `${c.restart}: a Deployment's pods always restart; render with --workload pod for restartPolicy ${RESTART[c.restart]}`);
  if (c.build) note('container.build', `image ${app.spec.image} is the tag podledger builds from the app folder; build it there (podman build -t ${app.spec.image} -f ${c.build.containerfile} ${c.build.context}) or push it to a registry the cluster pulls from`);
  if (!app.specHash) gap('metadata.labels', 'podledger.spec-hash-b32 left out: the spec hash covers the secrets\' keyed hashes, which without the node key (--data) could be guessed for a weak secret; give --data of the node, or --with-secrets; plan will want to recreate the pod\'s container');
}
