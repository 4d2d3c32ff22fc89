// Who may use the control socket: root alone (0600), or also a group the admin names
// (`--control-group`), for operators who read status and events without sudo. The data dir then
// lets that group search it (0710), nothing more: the log's files stay 0600, so the group reads the
// log only through the daemon, which never serves a secret value.
import { PodledgerError } from '../core/errors.js';
import { chmod, chown, readFile } from 'node:fs/promises';

export class ControlGroupError extends PodledgerError {
  readonly exit = 'invalid';
  constructor(readonly group: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot open the control socket to group ${group}: ${reason}; create the group (groupadd ${group}) or give its numeric id`, options);
    this.name = 'ControlGroupError';
  }
}

/** A group name (looked up in /etc/group) or a numeric id → the id. */
export async function groupId(group: string): Promise<number> {
  if (/^\d+$/.test(group)) {
    const gid = Number(group);
    if (gid > 0xfffffffe) throw new ControlGroupError(group, 'not a group id (0 … 4294967294)');
    return gid;
  }
  let table: string;
  try {
    table = await readFile('/etc/group', 'utf8');
  } catch (cause) {
    throw new ControlGroupError(group, `/etc/group cannot be read (${(cause as NodeJS.ErrnoException).code})`, { cause });
  }
  for (const line of table.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new ControlGroupError(group, 'no such group in /etc/group');
}

/** Socket 0660 and data dir 0710, both of group `gid`. */
export async function shareControl(dataDir: string, socket: string, gid: number): Promise<void> {
  await chown(dataDir, -1, gid);
  await chmod(dataDir, 0o710);
  await chown(socket, -1, gid);
  await chmod(socket, 0o660);
}
