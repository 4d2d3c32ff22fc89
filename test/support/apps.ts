// Test apps for scenarios: built by the engine itself from a busybox context, plus a way to read the
// running daemon's state through its control socket.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlGetJson, controlSocketPath } from '../../src/daemon/control.js';
import { runCli } from './cli.js';

const CONTAINERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox","--install","-s","/bin"]',
  // PID 1 ignores SIGTERM unless it traps it: trap it, so stops are quick.
  `CMD ["/bin/sh","-c","trap 'exit 0' TERM; while true; do sleep 1; done"]`,
  '',
].join('\n');

/**
 * `apps/<id>/manifest.yml` for a busybox app named `<prefix>-<id>` on network `<prefix>-net`;
 * `extra` is appended inside the `container:` block (indent it by two spaces).
 */
export async function writeBusyboxApp(apps: string, prefix: string, id: string, extra = ''): Promise<void> {
  const dir = join(apps, id);
  await mkdir(dir, { recursive: true });
  // A copy, not a link: a link out of the app folder is packed only if the node policy lists its
  // target (build_host_files), and these daemons run with policies of their own.
  await copyFile('/bin/busybox', join(dir, 'busybox'));
  await writeFile(join(dir, 'Containerfile'), CONTAINERFILE);
  await writeFile(join(dir, 'manifest.yml'), busyboxManifest(prefix, id, extra));
}

export function busyboxManifest(prefix: string, id: string, extra = ''): string {
  return `app:
  id: ${id}
  name: ${id}
  version: 1.0.0
container:
  build: { context: . }
  name: ${prefix}-${id}
  network: ${prefix}-net
  stop_timeout: 2
${extra}`;
}

/** The running daemon's projection summary, from its control socket. */
export function daemonState(data: string): Promise<{ seq: number; stateHash: string }> {
  return controlGetJson<{ seq: number; stateHash: string }>(controlSocketPath(data), '/state');
}

/**
 * Every app's container runs its desired spec and the planner has nothing left to do, by a replay of
 * the log. A plan is recorded only when it is news, so no "converged" plan marks the moment.
 */
export async function nodeConverged(data: string): Promise<boolean> {
  const r = await runCli(['replay', '--json', '--data', data]);
  if (r.code !== 0) return false;
  const { apps } = JSON.parse(r.stdout) as { apps: { converged: boolean; pending: unknown[] }[] };
  return apps.length > 0 && apps.every((a) => a.converged && a.pending.length === 0);
}
