// The control socket is root's alone unless the admin names a group; that group may then search the
// data dir and use the socket, and read nothing else in it.
import net from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlGroupError, groupId, shareControl } from '../../../src/daemon/control-access.js';
import { controlSocketPath } from '../../../src/daemon/control.js';

describe('control socket access', () => {
  it('given a group name or id, then its id is found, and an unknown one is refused with the fix', async () => {
    expect(await groupId('root')).toBe(0);
    expect(await groupId('4242')).toBe(4242);
    await expect(groupId('no-such-group-here')).rejects.toThrow(ControlGroupError);
    await expect(groupId('no-such-group-here')).rejects.toThrow('cannot open the control socket to group no-such-group-here: no such group in /etc/group; create the group (groupadd no-such-group-here) or give its numeric id');
    await expect(groupId('99999999999')).rejects.toThrow(/not a group id/);
  });

  it('given a named group, when the socket is shared, then the socket is 0660 and the dir 0710 of that group, and the log files stay private', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podledger-control-'));
    try {
      await writeFile(join(dir, '000001.log'), 'x', { mode: 0o600 });
      const socket = controlSocketPath(dir);
      const server = net.createServer();
      await new Promise<void>((r) => server.listen(socket, r));
      await shareControl(dir, socket, 4242);
      const [d, s, f] = await Promise.all([stat(dir), stat(socket), stat(join(dir, '000001.log'))]);
      expect([d.mode & 0o777, d.gid]).toEqual([0o710, 4242]);
      expect([s.mode & 0o777, s.gid]).toEqual([0o660, 4242]);
      expect(f.mode & 0o077).toBe(0);
      await new Promise((r) => server.close(r));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
