// The create request podman gets from a spec: mounts and devices as structured fields (no
// `src:dst:ro` strings, no tmpfs option strings but one case podman 4.3 needs), the rest as set.
import { describe, expect, it } from 'vitest';
import { createOptions } from '../../../src/podman/container-options.js';
import { containerSpecSchema, type ContainerSpec } from '../../../src/core/spec-schema.js';

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => containerSpecSchema().parse({
  app: 'web', name: 'web', image: 'localhost/web:1', network: 'podledger', cmd: [], ports: [], volumes: [],
  env: {}, secretEnv: {}, files: {}, stopTimeout: 10, ...over,
});
const hostConfig = (s: ContainerSpec) => createOptions({ spec: s, specHash: 'h', env: {}, imageCmd: [] }).HostConfig ?? {};

describe('createOptions', () => {
  it('given binds, a named volume and tmpfs, when mapped, then each is a HostConfig.Mounts entry and no Binds or Tmpfs strings are sent', () => {
    const hc = hostConfig(spec({
      volumes: [
        { type: 'bind', source: '/var/lib/archipelago/web/conf', target: '/conf', read_only: true },
        { type: 'bind', source: '/var/lib/archipelago/web/data', target: '/data', read_only: false },
        { type: 'volume', source: 'web-cache', target: '/cache', read_only: false },
        { type: 'tmpfs', target: '/scratch', size: 1048576, mode: '1777' },
        { type: 'tmpfs', target: '/run/sized', size: 65536 },
        { type: 'tmpfs', target: '/tmp' },
      ],
    }));
    expect(hc.Mounts).toEqual([
      { Type: 'bind', Source: '/var/lib/archipelago/web/conf', Target: '/conf', ReadOnly: true },
      { Type: 'bind', Source: '/var/lib/archipelago/web/data', Target: '/data', ReadOnly: false },
      { Type: 'volume', Source: 'web-cache', Target: '/cache', ReadOnly: false },
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
      { Type: 'tmpfs', Target: '/run/sized', TmpfsOptions: { SizeBytes: 65536 } },
      { Type: 'tmpfs', Target: '/tmp' },
    ]);
    expect(hc).not.toHaveProperty('Binds');
    expect(hc).not.toHaveProperty('Tmpfs');
  });

  it('given a tmpfs with a mode and no size, when mapped, then it goes in HostConfig.Tmpfs (podman 4.3 would make a size-less TmpfsOptions unlimited)', () => {
    const hc = hostConfig(spec({ volumes: [{ type: 'tmpfs', target: '/run/app', mode: '700' }, { type: 'tmpfs', target: '/tmp' }] }));
    expect(hc.Tmpfs).toEqual({ '/run/app': 'mode=700' });
    expect(hc.Mounts).toEqual([{ Type: 'tmpfs', Target: '/tmp' }]);
  });

  it('given devices in each form, when mapped, then each is a structured device with its permissions (rwm by default)', () => {
    expect(hostConfig(spec({ devices: ['/dev/fuse', '/dev/kvm:rw', '/dev/sda:/dev/xvda', '/dev/ttyUSB0:/dev/ttyACM0:r'] })).Devices).toEqual([
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rw' },
      { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/ttyACM0', CgroupPermissions: 'r' },
    ]);
  });

  it('given a network, when mapped, then it is the NetworkMode as written', () => {
    for (const network of ['podledger', 'host', 'none', 'container:db']) expect(hostConfig(spec({ network })).NetworkMode).toBe(network);
  });

  it('given no volumes or devices, when mapped, then Mounts and Devices are empty lists', () => {
    const hc = hostConfig(spec());
    expect([hc.Mounts, hc.Devices]).toEqual([[], []]);
  });

  it('given an http probe whose path holds shell characters, when mapped, then the URL is one quoted word of the recorded check', () => {
    const s = spec({ healthCheck: { type: 'http', port: 80, path: '/h?a=1&b=$(x);c', intervalMs: 1000, timeoutMs: 1000, retries: 1, startPeriodMs: 0 } });
    const test = createOptions({ spec: s, specHash: 'h', env: {}, imageCmd: [] }).Healthcheck?.Test;
    expect(test).toEqual(['CMD-SHELL', "wget -q -O /dev/null 'http://127.0.0.1:80/h?a=1&b=$(x);c' || curl -fsS -o /dev/null 'http://127.0.0.1:80/h?a=1&b=$(x);c'"]);
  });
});
