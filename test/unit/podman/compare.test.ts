// Drift is read from `podman inspect` as podman 4.3 shows a container made from HostConfig.Mounts
// (recorded from a real podman, see test/podman/fields.test.ts): no false drift, and a lost mount is seen.
import { describe, expect, it } from 'vitest';
import { containerSpecSchema } from '../../../src/core/spec-schema.js';
import { compareContainer, type InspectedContainer } from '../../../src/podman/compare.js';

const spec = containerSpecSchema().parse({
  app: 'web', name: 'web', image: 'localhost/web:1', network: 'podledger', cmd: [], ports: [], env: {}, secretEnv: {}, files: {}, stopTimeout: 10,
  volumes: [
    { type: 'bind', source: '/srv/web/conf', target: '/conf', read_only: true },
    { type: 'volume', source: 'web-cache', target: '/cache', read_only: false },
    { type: 'tmpfs', target: '/scratch', size: 1048576, mode: '1777' },
  ],
});
const inspected = (over: Partial<InspectedContainer['HostConfig']> = {}, mounts?: InspectedContainer['Mounts']): InspectedContainer => ({
  Id: 'c1', Name: '/web', Config: { Image: 'localhost/web:1', Env: [] },
  HostConfig: { PortBindings: {}, Tmpfs: { '/scratch': 'size=1048576,mode=1777,rw,rprivate,nosuid,nodev,tmpcopyup' }, ...over },
  Mounts: mounts ?? [
    { Type: 'volume', Name: 'web-cache', Source: '/var/lib/containers/storage/volumes/web-cache/_data', Destination: '/cache', RW: true },
    { Type: 'bind', Source: '/srv/web/conf', Destination: '/conf', RW: false },
  ],
});
const compare = (c: InspectedContainer) => compareContainer(spec, c, (v) => v);

describe('compareContainer on mounts', () => {
  it('given the inspect of a container podman 4.3 made from HostConfig.Mounts, when compared, then there is no drift', () => {
    expect(compare(inspected())).toEqual([]);
  });

  it('given a podman that lists the tmpfs only under HostConfig.Mounts, when compared, then there is no drift either', () => {
    expect(compare(inspected({ Tmpfs: {}, Mounts: [{ Type: 'tmpfs', Target: '/scratch' }] }))).toEqual([]);
  });

  it('given a lost tmpfs and a bind made writable, when compared, then both are drift', () => {
    expect(compare(inspected({ Tmpfs: null }, [{ Type: 'bind', Source: '/srv/web/conf', Destination: '/conf', RW: true }]))).toEqual([
      { field: 'volumes', expected: ['bind /srv/web/conf:/conf:ro', 'volume web-cache:/cache'], actual: ['bind /srv/web/conf:/conf'] },
      { field: 'tmpfs', expected: ['/scratch'], actual: [] },
    ]);
  });
});
