// The projection: what the node believes, folded from the log. One plain, serialisable object.
import type { Manifest } from './manifest/schema.js';
import type { Action, ContainerStateName, Difference, HealthStatus, ManifestError } from './events.js';
import type { ContainerSpec } from './spec-schema.js';

/** Bump when `evolve` changes meaning; snapshots of another version are re-folded. */
export const FOLD_VERSION = 2;

export interface AppState {
  id: string;
  path: string;
  /** the last valid manifest; kept while a newer one is rejected, so the running app is left alone */
  manifest?: Manifest;
  manifestHash?: string;
  manifestSeq?: number;
  templates: Record<string, string>;
  buildContextHash?: string;
  rejected?: { seq: number; errors: ManifestError[] };
}

export interface ContainerState {
  id: string;
  name: string;
  status: ContainerStateName;
  exitCode?: number;
  /** set with `exitCode` from events that record it (older logs do not): the kernel killed it for its memory */
  oomKilled?: boolean;
  /**
   * The app's last recorded exit, kept across restarts and recreates so `status` can show what ended
   * the previous run. Set only from events that carry `oomKilled`, so folding an older log gives
   * the state (and hash) it always did.
   */
  lastExit?: LastExit;
  image?: string;
  /** from the container's label */
  specHash?: string;
  hashVersion?: number;
  /** the spec it was created with, as recorded by the create that made it (absent if made elsewhere) */
  spec?: ContainerSpec;
  /** seq and time of the event that set `status` */
  statusSeq: number;
  statusAt: number;
  /** when it last started running: start_period and crash-loop stability count from here */
  startedAt?: number;
  /** seq and time of the action that made (or adopted) this container */
  created?: { seq: number; at: number };
  health?: { status: HealthStatus; seq: number; at: number; detail?: string };
  /** the last few recorded probe outcomes, oldest first (absent until one is recorded) */
  probes?: ProbeSeen[];
  /** it has been healthy at least once since it was created */
  everHealthy?: boolean;
  /** made by hand without our labels, then adopted because it matched the desired spec */
  adopted?: boolean;
  /** what differs between the running container and the spec it was created with */
  drift?: { seq: number; differences: Difference[] };
}

/** How a container's run ended: its exit code, whether the kernel killed it for its memory, when. */
export interface LastExit {
  id: string;
  exitCode: number;
  oomKilled: boolean;
  seq: number;
  at: number;
}

/** A probe outcome as recorded: `at` is when it was recorded (the first probe that saw it). */
export interface ProbeSeen {
  seq: number;
  at: number;
  ok: boolean;
  output: string;
  latencyMs: number;
}

/** How many probe outcomes a container keeps. */
export const PROBES_KEPT = 5;

/** The app configuration a healthy container ran, kept to roll back to. */
export interface GoodConfig {
  specHash: string;
  manifest: NonNullable<AppState['manifest']>;
  manifestHash?: string;
  templates: Record<string, string>;
  buildContextHash?: string;
  seq: number;
}

export interface State {
  seq: number;
  boot: number;
  facts: Record<string, { value: string | number; seq: number }>;
  secrets: Record<string, { hash: string; seq: number }>;
  apps: Record<string, AppState>;
  /** by app id: the container podledger manages for it */
  containers: Record<string, ContainerState>;
  /** by app id: seq of the event that made the app or its container go away, for reasons */
  gone: Record<string, number>;
  /** by app id: the last failed action, cleared when one succeeds */
  failures: Record<string, { seq: number; at: number; kind: string; message: string; attempt: number }>;
  /** the last recorded decision; `inFlight` (or, in older logs, `deferred`) as recorded, absent when none */
  lastPlan?: { seq: number; actions: Action[]; inFlight?: string[]; deferred?: string[] };
  /** by app id: restarts since it last ran stably, for the crash-loop backoff */
  restarts: Record<string, { attempt: number; seq: number }>;
  /** by app id: the current backoff window, as recorded */
  backoff: Record<string, { attempt: number; until: number; seq: number }>;
  /** by app id: the last configuration that was healthy */
  lastGood: Record<string, GoodConfig>;
  /** by app id: rolled back; the app runs `config` until its manifest differs from `badManifestHash` */
  pinned: Record<string, { config: GoodConfig; badManifestHash: string; seq: number }>;
  /** by app id: a container with the app's name but not our labels */
  unmanaged: Record<string, { id: string; name: string; image: string; seq: number; differences: Difference[] }>;
}

export const initialState: State = {
  seq: 0,
  boot: 0,
  facts: {},
  secrets: {},
  apps: {},
  containers: {},
  gone: {},
  failures: {},
  restarts: {},
  backoff: {},
  lastGood: {},
  pinned: {},
  unmanaged: {},
};

/** The app whose adopted container has this id: adopted containers carry no labels, so they are known by id. */
export function adoptedApp(state: Pick<State, 'containers'>, id: string): string | undefined {
  return Object.entries(state.containers).find(([, c]) => c.adopted && c.id === id)?.[0];
}
