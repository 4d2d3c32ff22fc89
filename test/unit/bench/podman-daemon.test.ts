import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unitNodeFlags } from '../../../src/bench/podman-daemon.js';
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
