// The projection: what the node believes, folded from the log. One plain, serialisable object.
import type { Manifest } from '../manifest/schema.js';
import type { Action, ContainerStateName, ManifestError } from './events.js';
import type { ContainerSpec } from './spec-schema.js';

/** Bump when `evolve` changes meaning; snapshots of another version are re-folded. */
export const FOLD_VERSION = 1;

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
  image?: string;
  /** from the container's label */
  specHash?: string;
  hashVersion?: number;
  /** the spec it was created with, as recorded by the create that made it (absent if made elsewhere) */
  spec?: ContainerSpec;
  /** seq and time of the event that set `status` */
  statusSeq: number;
  statusAt: number;
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
  failures: Record<string, { seq: number; at: number; kind: string; message: string }>;
  lastPlan?: { seq: number; actions: Action[] };
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
};
