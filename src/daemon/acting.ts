// The reconciler as a service: it plans whenever the projection moves (or podman answers again),
// and acts through the executor, with the node policy the observers last read.
import type Docker from 'dockerode';
import type { Observable } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';
import type { Draft, Envelope } from '../core/events.js';
import { renderReason } from '../core/render.js';
import { desiredApp, resolveSpec } from '../core/spec.js';
import type { State } from '../core/state.js';
import { execute, type NodePolicy } from '../act/executor.js';
import { buildStep } from '../act/image.js';
import { podmanClient } from '../podman/client.js';
import type { StartInspects } from '../podman/address.js';
import type { Logger } from './logger.js';
import { Reconciler } from './reconciler.js';
import type { Service } from './services.js';

export interface ActingDeps {
  state: () => State;
  state$: Observable<State>;
  /** podman answers again: work may have been held back though nothing was appended */
  podmanBack$: Observable<void>;
  append: (drafts: Draft[]) => Promise<Envelope[]>;
  turn: <T>(task: () => Promise<T>) => Promise<T>;
  ready: () => boolean;
  policy: () => NodePolicy | undefined;
  docker: Docker;
  socket: string;
  appsDir: string;
  secretsDir?: string | undefined;
  nodeKey: Buffer;
  concurrency: number;
  log: Logger;
  guard: (what: string) => (err: unknown) => void;
  /** a decision was taken, and recorded if it was news: readiness waits for the first, metrics time each (`seconds`: how long `decide` took) */
  onDecided?: (decision: { actions: number; planSeq: number | undefined; seconds: number }) => void;
  /** marks a start-up phase (daemon.ts's tracer) */
  trace?: (phase: string) => void;
  /** where the inspect after a start is kept for the health monitor's first probe */
  inspects?: StartInspects;
}

export function startReconciler(d: ActingDeps): Service {
  const { log } = d;
  // Build steps are progress worth keeping: a few events per build; the build's every output line at debug.
  const buildProgress = (app: string) => (line: string) => {
    log.debug(line, { app });
    const step = buildStep(line);
    const config = desiredApp(d.state(), app);
    const image = config?.manifest ? resolveSpec(config, d.state()) : undefined;
    if (step && image?.ok) void d.append([{ type: 'ImageProgress', source: 'executor', app, data: { image: image.spec.image, step } }]).catch(d.guard('recording build progress'));
  };
  const reconciler = new Reconciler({
    state: d.state, append: d.append, turn: d.turn, ready: d.ready, clock: Date.now, newId: uuidv7, concurrency: d.concurrency, onError: d.guard('reconcile'),
    execute: (action, s) => {
      const policy = d.policy();
      return execute({
        docker: d.docker, patientClient: (ms) => podmanClient(d.socket, ms), appsDir: d.appsDir, ...(policy ? { policy } : {}),
        secretsDir: d.secretsDir, nodeKey: d.nodeKey, progress: buildProgress(action.app),
        ...(d.inspects ? { onInspected: (id: string, info: Docker.ContainerInspectInfo) => d.inspects!.remember(id, info) } : {}),
      }, action, s);
    },
    // A failed action leaves its app short of its manifest until a later plan succeeds: an error.
    onAction: (action, outcome, detail) => {
      if (outcome === 'started') d.trace?.(`first ${action.kind} issued`);
      log[outcome === 'failed' ? 'error' : 'info'](`${action.kind} ${action.app}: ${outcome}`, {
        app: action.app, reasons: action.reasons.map(renderReason).join('; '), ...(detail ? { detail } : {}),
      });
    },
    ...(d.onDecided ? { onDecided: d.onDecided } : {}),
  });
  const wakes = [d.state$.subscribe(() => reconciler.wake()), d.podmanBack$.subscribe(() => reconciler.wake())];
  return {
    name: 'reconciler',
    busyWith: () => {
      const now = Date.now();
      const busy = reconciler.inFlight().map((a) => `${a.kind} ${a.app} (for ${((now - a.since) / 1000).toFixed(1)} s)`);
      return busy.length > 0 ? `${busy.length} action(s) in flight: ${busy.join(', ')}` : 'the reconciler (no action in flight)';
    },
    quiesce: () => wakes.forEach((w) => w.unsubscribe()),
    stop: () => reconciler.stop(),
  };
}
