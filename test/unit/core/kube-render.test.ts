// The pure mapping of resolved specs to Kubernetes objects: probes, healthy dependencies as init
// containers, security, and each field Kubernetes cannot say reported as a gap, never dropped.
import { describe, expect, it } from 'vitest';
import { renderKube } from '../../../src/core/kube/render.js';
import type { KubeApp } from '../../../src/core/kube/model.js';
import { manifestSchema, type ManifestInput } from '../../../src/core/manifest/schema.js';
import { resolveUncached } from '../../../src/core/spec.js';

function app(input: ManifestInput): KubeApp {
  const manifest = manifestSchema().parse(input);
  const r = resolveUncached({ id: manifest.app.id, path: 'x', manifest, templates: {} }, { facts: {}, secrets: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.reasons));
  return { manifest, spec: r.spec, specHash: r.hash, files: [] };
}

const db = app({
  app: { id: 'db', name: 'DB', version: '1' },
  container: { image: 'postgres:16', health_check: { type: 'tcp', port: 5432, interval: '2500ms', timeout: '3s', retries: 4, start_period: '10s' }, user: '70:70', security: { cap_drop: ['ALL'], read_only_root: true, no_new_privileges: true }, resources: { memory: '64m', cpus: 0.5 } },
});
const api = app({
  app: { id: 'api', name: 'API', version: '1' },
  container: { image: 'api:1', custom_args: ['--verbose'], user: 'nobody', restart: 'on-failure', health_check: { type: 'exec', command: ['true'] } },
  dependencies: [{ app: 'db', condition: 'healthy' }],
});
const web = app({ app: { id: 'web', name: 'Web', version: '1' }, container: { image: 'web:1' }, dependencies: [{ app: 'api', condition: 'healthy' }] });

const render = (workload: 'pod' | 'deployment') => renderKube({ apps: [db, api, web], workload, waitImage: 'busybox:1', hashVersion: 2 });
const podOf = (out: ReturnType<typeof render>, name: string) => out.documents.find((d) => d.object.metadata.name === name)!.object as unknown as { spec: { initContainers?: { command: string[] }[]; containers: Record<string, unknown>[] } };

describe('renderKube', () => {
  it('given a tcp health check, when rendered, then readiness and liveness probes of it, times rounded up to seconds, start period as the liveness delay', () => {
    const c = podOf(render('pod'), 'db').spec.containers[0]!;
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 4 });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 4, initialDelaySeconds: 10 });
    expect(c.securityContext).toEqual({ capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 70, runAsGroup: 70 });
    expect(c.resources).toEqual({ limits: { cpu: '500m', memory: String(64 * 1024 * 1024) } });
  });

  it('given a healthy dependency with a tcp check, when rendered, then an init container probes it by name until it answers', () => {
    const init = podOf(render('pod'), 'api').spec.initContainers!;
    expect(init).toHaveLength(1);
    expect(init[0]!.command.join(' ')).toBe('/bin/sh -c until nc -w 3 db 5432 </dev/null; do echo "waiting for db to be healthy"; sleep 3; done');
  });

  it('given what Kubernetes cannot say, when rendered, then each is a gap naming app and field, never silently dropped', () => {
    const gaps = render('deployment').gaps.map((g) => `${g.app} ${g.field}`);
    expect(gaps).toEqual(expect.arrayContaining([
      'api container.custom_args', 'api container.user', 'api container.restart', 'web dependencies[0]',
    ]));
    expect(podOf(render('pod'), 'web').spec.initContainers).toBeUndefined();
    expect(render('pod').gaps.map((g) => g.field)).not.toContain('container.restart');
  });

  it('given the deployment workload, when rendered, then one replica, Recreate, selected by the app label, and no restartPolicy but Always', () => {
    const d = render('deployment').documents.find((x) => x.object.kind === 'Deployment' && x.object.metadata.name === 'db')!.object as unknown as { spec: Record<string, unknown> & { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } };
    expect(d.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { 'podledger.app': 'db' } } });
    expect(d.spec.template.metadata.labels['podledger.spec-hash-b32']).toMatch(/^[a-z2-7]{52}$/);
    expect(d.spec.template.spec.restartPolicy).toBeUndefined();
  });
});
