// Follows podman's event stream for our containers. A lost stream is reconnected with backoff, and
// every (re)connect is followed by a full inventory resync, since events may have been missed.
import type Docker from 'dockerode';
import { doubling } from '../core/backoff.js';
import type { PodmanEvent } from '../core/observations.js';
import { hashFromLabel } from '../core/kube/names.js';
import { LABELS } from '../core/spec.js';

export interface RawEvent {
  time?: number;
  timeNano?: number;
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export function toPodmanEvent(raw: RawEvent, appOf: (id: string) => string | undefined = () => undefined): PodmanEvent | undefined {
  const attrs = raw.Actor?.Attributes ?? {};
  const id = raw.Actor?.ID ?? raw.id;
  const app = attrs[LABELS.app] ?? (id ? appOf(id) : undefined);
  if (raw.Type !== 'container' || !app || !id) return undefined;
  const name = attrs.name ?? id;
  const at = raw.timeNano ? Math.floor(raw.timeNano / 1e6) : raw.time ? raw.time * 1000 : undefined;
  const when = at !== undefined ? { at } : {};
  switch (raw.Action ?? raw.status) {
    case 'start': {
      // a pod from `podledger kube` carries the hash in base32 (label values stop at 63 characters there)
      const specHash = attrs[LABELS.specHash] ?? hashFromLabel(attrs[LABELS.specHashLabel] ?? '');
      return { action: 'start', app, id, name, ...when, ...(specHash ? { specHash } : {}) };
    }
    case 'die':
    case 'died':
      return { action: 'died', app, id, name, ...when, exitCode: Number(attrs.exitCode ?? attrs.containerExitCode ?? -1) };
    case 'remove':
      return { action: 'remove', app, id, name, ...when };
    default:
      return undefined;
  }
}

/**
 * Podman announces an OOM kill as an `oom` event just before the container's `died`, which does not
 * say it: the reader remembers the ids it saw one for, and marks their death as an OOM kill. A death
 * without one is recorded as not OOM-killed (the inventory corrects it if the stream missed the `oom`).
 */
export function oomMemory(): { read(raw: RawEvent, appOf?: (id: string) => string | undefined): PodmanEvent | undefined } {
  const seen = new Set<string>();
  return {
    read(raw, appOf) {
      const id = raw.Actor?.ID ?? raw.id;
      if (raw.Type === 'container' && (raw.Action ?? raw.status) === 'oom' && id) {
        if (seen.size >= 1_000) seen.clear(); // only the next event of each matters: never grows without end
        seen.add(id);
        return undefined;
      }
      const e = toPodmanEvent(raw, appOf);
      return e?.action === 'died' ? { ...e, oomKilled: seen.delete(e.id) } : e;
    },
  };
}

export interface EventFollower {
  close(): void;
}

export interface FollowOptions {
  onEvent: (e: PodmanEvent) => void;
  /** the app of an unlabelled container we manage (adopted), by id */
  appOf?: (id: string) => string | undefined;
  /** called after every successful (re)connect: the caller resyncs the inventory */
  onConnected: () => void;
  onLost: (err: Error) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export function followEvents(docker: Docker, opts: FollowOptions): EventFollower {
  const min = opts.minBackoffMs ?? 250;
  const max = opts.maxBackoffMs ?? 10_000;
  let closed = false;
  /** reconnects failed in a row: the next waits min, doubling up to max */
  let failures = 0;
  let current: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const ooms = oomMemory();

  const retry = (err: Error) => {
    current = undefined;
    if (closed) return;
    opts.onLost(err);
    timer = setTimeout(connect, doubling(failures++, min, max));
  };

  const connect = async () => {
    if (closed) return;
    try {
      // podman 4.3 ignores a label filter without a value (it matches nothing): filter on our side.
      const stream = (await docker.getEvents({ filters: { type: ['container'] } })) as typeof current & NodeJS.ReadableStream;
      if (closed) return stream.destroy?.();
      current = stream;
      failures = 0;
      opts.onConnected();
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          try {
            const e = ooms.read(JSON.parse(line) as RawEvent, opts.appOf);
            if (e) opts.onEvent(e);
          } catch {
            // a torn line cannot be trusted; the resync after reconnect covers anything lost
          }
        }
      });
      let ended = false;
      const lost = (err: Error) => { if (!ended) { ended = true; retry(err); } };
      stream.on('end', () => lost(new Error('podman event stream ended')));
      stream.on('error', (err: Error) => lost(err));
    } catch (err) {
      retry(err as Error);
    }
  };

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      current?.destroy?.();
    },
  };
}
