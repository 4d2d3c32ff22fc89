// Where an http or tcp check reaches a container: its own address on its network, from podman
// inspect, never a port published on the host.
import { describe, expect, it } from 'vitest';
import { probeHost, type InspectedAddress } from '../../../src/podman/address.js';

/** podman 4.3's compat inspect of a container on `networks` (name → address); `top`: the top-level address. */
const inspected = (networks: Record<string, string>, top = ''): InspectedAddress => ({
  HostConfig: { NetworkMode: 'bridge' },
  NetworkSettings: { IPAddress: top, Networks: Object.fromEntries(Object.entries(networks).map(([n, ip]) => [n, { IPAddress: ip }])) },
});

describe('the probe address', () => {
  it('given a container on a named bridge network, when its address is chosen, then it is its address on that network', () => {
    expect(probeHost('archy-net', inspected({ 'archy-net': '10.89.0.7' }))).toEqual({ ok: true, host: '10.89.0.7' });
  });

  it('given a container on several networks, when its address is chosen, then the one on the network of its spec wins', () => {
    expect(probeHost('archy-net', inspected({ other: '10.90.0.2', 'archy-net': '10.89.0.7' }, '10.90.0.2'))).toEqual({ ok: true, host: '10.89.0.7' });
  });

  it('given a container on the default network listing only the top-level address, when chosen, then that address is used', () => {
    expect(probeHost('podman', inspected({}, '10.88.0.4'))).toEqual({ ok: true, host: '10.88.0.4' });
  });

  it('given an IPv6-only network, when chosen, then its global IPv6 address is used', () => {
    expect(probeHost('v6', { NetworkSettings: { Networks: { v6: { IPAddress: '', GlobalIPv6Address: 'fd00::5' } } } })).toEqual({ ok: true, host: 'fd00::5' });
  });

  it('given the host network, when chosen, then it is the loopback address, whatever inspect says', () => {
    expect(probeHost('host', inspected({ host: '' }))).toEqual({ ok: true, host: '127.0.0.1' });
    expect(probeHost('host', {})).toEqual({ ok: true, host: '127.0.0.1' });
  });

  it('given none or a joined namespace path, when chosen, then there is no address, and it says to use an exec check', () => {
    expect(probeHost('none', inspected({}))).toEqual({ ok: false, why: 'network none has no address the engine can reach; use an exec check' });
    expect(probeHost('ns:/run/netns/x', inspected({}))).toMatchObject({ ok: false });
  });

  it('given a bridge container podman lists without an address (not started yet), when chosen, then it says so', () => {
    expect(probeHost('archy-net', inspected({ 'archy-net': '' }))).toEqual({ ok: false, why: 'podman lists no IP address for it on network archy-net' });
    expect(probeHost('archy-net', {})).toMatchObject({ ok: false });
  });
});
