// File watches (chokidar), with chokidar loaded by the first watch: the daemon starts its watches
// only after its first plan, and the offline commands that read manifests never watch, so its
// loading (~30 ms of module code) is not in their start-up.
import type { ChokidarOptions, FSWatcher } from 'chokidar';

/** A watch of files, and when it has started: a change before then is not reported. */
export interface Watching {
  ready: Promise<void>;
  close(): Promise<void>;
}

let chokidar: Promise<typeof import('chokidar')> | undefined;

/** Calls `onChange` on any change under `paths`. A watch that cannot start counts as ready: resync still reads. */
export function watchPaths(paths: string, options: ChokidarOptions, onChange: () => void): Watching {
  const watcher = (chokidar ??= import('chokidar')).then(({ watch }) => watch(paths, options).on('all', onChange));
  return {
    ready: watcher.then(watchReady, () => undefined),
    close: () => watcher.then((w) => w.close(), () => undefined),
  };
}

/** Resolves once chokidar watches (its 'ready'), or fails to. */
function watchReady(watcher: FSWatcher): Promise<void> {
  return new Promise((resolve) => {
    watcher.once('ready', () => resolve());
    watcher.once('error', () => resolve());
  });
}
