// Deaths as soon as conmon records them. Podman's `died` event comes only after its cleanup process
// has run (about 0.2 s after the exit on these nodes), while conmon writes the container's exit code
// to a file in its exit folder the moment the process ends. Watching that folder (inotify) lets a
// crash be restarted as fast as podman's own restart policy would. The event stream stays the record
// of everything else; a death seen both ways is recorded once (`podmanEventDrafts` drops the second).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { PodmanEvent } from '../core/observations.js';

/** How many times to look for the exit folder before leaving deaths to the event stream alone. */
const MAX_MISSES = 5;

/** A container id as podman names it, and so as conmon names its exit file. */
const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * The folder conmon writes exit codes to, from the command line of the conmon that watches `pid`
 * (a container's main process, whose parent it is): right for whatever --tmpdir podman runs with.
 */
export async function exitDirOf(pid: number): Promise<string | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const parent = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
  if (!parent) return undefined;
  const args = (await readFile(`/proc/${parent}/cmdline`, 'utf8')).split('\0');
  if (args[0]?.split('/').at(-1) !== 'conmon') return undefined;
  const at = args.indexOf('--exit-dir');
  return at >= 0 ? args[at + 1] : undefined;
}

interface Inspected { Id: string; Name?: string; State?: { Running?: boolean; Pid?: number; ExitCode?: number; FinishedAt?: string; OOMKilled?: boolean } }

export interface ExitWatchOptions {
  docker: Docker;
  /** the app of a container we manage, by id (undefined for anything else) */
  appOf: (id: string) => string | undefined;
  onEvent: (e: PodmanEvent) => void;
  onError: (err: unknown) => void;
}

export class ExitFileWatcher {
  readonly #o: ExitWatchOptions;
  #watcher: FSWatcher | undefined;
  #finding = false;
  #closed = false;
  /** discoveries that found no folder: after a few, stop asking (each costs an inspect) */
  #misses = 0;

  constructor(o: ExitWatchOptions) {
    this.#o = o;
  }

  /** Start watching, once the exit folder is known: read it from one running container of ours. */
  async discover(runningId: string): Promise<void> {
    if (this.#watcher || this.#finding || this.#closed || this.#misses >= MAX_MISSES) return;
    this.#finding = true;
    try {
      const c = (await this.#o.docker.getContainer(runningId).inspect()) as Inspected;
      const dir = c.State?.Running && c.State.Pid ? await exitDirOf(c.State.Pid) : undefined;
      if (!dir) this.#misses += 1;
      if (!dir || this.#closed) return;
      this.#watcher = watch(dir, (_kind, file) => {
        if (typeof file === 'string' && CONTAINER_ID.test(file) && this.#o.appOf(file)) void this.#exited(file).catch(this.#o.onError);
      });
      this.#watcher.on('error', (err) => { this.#watcher = undefined; this.#o.onError(err); });
    } catch {
      // not knowing the folder only costs speed: the event stream still reports every death
      this.#misses += 1;
    } finally {
      this.#finding = false;
    }
  }

  get watching(): boolean {
    return this.#watcher !== undefined;
  }

  /** Conmon wrote (or podman removed) an exit file: if the container is down, that is a death. */
  async #exited(id: string): Promise<void> {
    const app = this.#o.appOf(id);
    const c = (await this.#o.docker.getContainer(id).inspect().catch(() => undefined)) as Inspected | undefined;
    if (!app || !c?.State || c.State.Running !== false) return;
    const finished = Date.parse(c.State.FinishedAt ?? '');
    this.#o.onEvent({
      action: 'died', app, id, name: (c.Name ?? id).replace(/^\//, ''), exitCode: c.State.ExitCode ?? -1,
      ...(Number.isFinite(finished) && finished > 0 ? { at: finished } : {}),
      ...(c.State.OOMKilled !== undefined ? { oomKilled: c.State.OOMKilled } : {}),
    });
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
