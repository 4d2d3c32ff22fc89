// An app's mounts as pod volumes: binds as hostPath (only the sources the node policy let through:
// the manifests were read against it), named volumes as claims, tmpfs as memory-backed emptyDir,
// and rendered files as ConfigMap (or, holding a secret, Secret) items mounted read-only where the
// file's bind puts it inside the container.
import path from 'node:path/posix';
import { within } from '../manifest/paths.js';
import type { ContainerSpec } from '../spec-schema.js';
import type { KubeFile } from './model.js';
import { dnsLabel } from './names.js';

type Gap = (field: string, why: string) => void;

export interface PodVolumes {
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
  /** the rendered files' objects: one ConfigMap for plain files, one Secret for files with secrets */
  configMap?: { name: string; data: Record<string, string> };
  fileSecret?: { name: string; data: Record<string, string>; filled: boolean };
  claims: string[];
}

export function volumesOf(pod: string, spec: ContainerSpec, files: readonly KubeFile[], gap: Gap): PodVolumes {
  const out: PodVolumes = { volumes: [], mounts: [], claims: [] };
  // podman names an emptyDir's volume after it, node-wide: the pod's name keeps two pods' apart
  spec.volumes.forEach((v, i) => {
    const name = dnsLabel(pod, `${v.type}-${i}`);
    if (v.type === 'bind') {
      out.volumes.push({ name, hostPath: { path: v.source, type: 'DirectoryOrCreate' } });
      out.mounts.push({ name, mountPath: v.target, ...(v.read_only ? { readOnly: true } : {}) });
    } else if (v.type === 'volume') {
      out.volumes.push({ name, persistentVolumeClaim: { claimName: v.source, ...(v.read_only ? { readOnly: true } : {}) } });
      out.mounts.push({ name, mountPath: v.target, ...(v.read_only ? { readOnly: true } : {}) });
      out.claims.push(v.source);
    } else {
      out.volumes.push({ name, emptyDir: { medium: 'Memory', ...(v.size !== undefined ? { sizeLimit: String(v.size) } : {}) } });
      out.mounts.push({ name, mountPath: v.target });
      if (v.mode) gap(`container.volumes[${i}].mode`, `tmpfs mode ${v.mode}: an emptyDir's permissions are the engine's (0777 for memory); set them from the app, or drop the mode`);
    }
  });
  fileVolumes(pod, spec, files, out);
  return out;
}

function fileVolumes(pod: string, spec: ContainerSpec, files: readonly KubeFile[], out: PodVolumes): void {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  let filled = true;
  const items = { plain: [] as Record<string, unknown>[], secret: [] as Record<string, unknown>[] };
  const binds = spec.volumes.flatMap((v) => (v.type === 'bind' ? [v] : []));
  files.forEach((f, i) => {
    // the schema guarantees a bind holding the file; the innermost one is where it shows
    const bind = binds.filter((b) => within(f.path, b.source)).sort((a, b) => b.source.length - a.source.length)[0];
    if (!bind) return;
    const key = `file-${i}-${path.basename(f.path).replace(/[^-._a-zA-Z0-9]/g, '_')}`;
    const mountPath = path.join(bind.target, path.relative(bind.source, f.path));
    const kind = f.secret ? 'secret' : 'plain';
    (f.secret ? secret : plain)[key] = f.text ?? '';
    if (f.text === undefined) filled = false;
    items[kind].push({ key, path: key, mode: parseInt(f.mode, 8) });
    out.mounts.push({ name: dnsLabel(pod, f.secret ? 'secret-files' : 'files'), mountPath, subPath: key, readOnly: true });
  });
  if (items.plain.length > 0) {
    out.configMap = { name: dnsLabel(pod, 'files'), data: plain };
    out.volumes.push({ name: dnsLabel(pod, 'files'), configMap: { name: out.configMap.name, items: items.plain } });
  }
  if (items.secret.length > 0) {
    out.fileSecret = { name: dnsLabel(pod, 'secret-files'), data: secret, filled };
    out.volumes.push({ name: dnsLabel(pod, 'secret-files'), secret: { secretName: out.fileSecret.name, items: items.secret } });
  }
}
