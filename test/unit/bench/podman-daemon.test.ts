import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unitEnv, unitNodeFlags } from '../../../src/bench/podman-daemon.js';
import { median } from '../../../src/bench/podman-util.js';
import { REPO_ROOT } from '../../support/cli.js';

describe('the podman bench runs the daemon as the systemd unit does', () => {
  it('given the packaged unit, when its node flags are read, then they are what its NODE_OPTIONS sets', async () => {
    const unit = await readFile(join(REPO_ROOT, 'packaging/podledger.service'), 'utf8');
    const line = unit.split('\n').find((l) => l.startsWith('Environment=NODE_OPTIONS='))!;
    expect(unitNodeFlags(unit)).toEqual(line.slice('Environment=NODE_OPTIONS='.length).split(' '));
    expect(unitNodeFlags(unit).length).toBeGreaterThan(0);
  });

  it('given a unit with quoted options or none, when read, then the flags are unquoted, or none', () => {
    expect(unitNodeFlags('[Service]\n  Environment=NODE_OPTIONS="--a=1 --b"\n')).toEqual(['--a=1', '--b']);
    expect(unitNodeFlags('[Service]\nEnvironment=OTHER=1\n')).toEqual([]);
  });
});

describe('the daemon under the bench gets the environment systemd would give it', () => {
  it('given a CA bundle in the bench\'s environment, when the daemon\'s is made, then it is left out and the rest kept', () => {
    const env = unitEnv({ NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca.crt', PATH: '/usr/bin', CONTAINERS_CONF: '/x.conf' });
    expect(env).toEqual({ PATH: '/usr/bin', CONTAINERS_CONF: '/x.conf' });
  });
});

describe('median of the bench\'s runs', () => {
  it('given an odd or even count, when the median is taken, then it is the middle sample or the mean of the two middle ones', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 10])).toBe(4);
    expect(median([7])).toBe(7);
  });
});
