// What rendering a catalog for Kubernetes takes and gives. The objects are plain JSON, in the subset
// of the Kubernetes API that `podman kube play` (4.3) reads as well (docs/kube.md).
import type { Manifest } from '../manifest/schema.js';
import type { ContainerSpec } from '../spec-schema.js';

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

/** One object of the output, with the comment printed above it (what the operator must do). */
export interface KubeDocument { object: KubeObject; comment?: string }

/** What one app's manifest asks that Kubernetes cannot say: printed on stderr, never dropped silently. */
export interface KubeGap { app: string; field: string; why: string }

/** A rendered file: its text only when it holds no secret or secrets were asked for. */
export interface KubeFile { path: string; mode: string; secret: boolean; text?: string }

export interface KubeApp {
  manifest: Manifest;
  /** resolved as the daemon resolves it (src/core/spec.ts), so env and mounts are what podledger runs */
  spec: ContainerSpec;
  /** the spec hash for the pod's label; absent when it could not be told without revealing secrets */
  specHash?: string;
  files: KubeFile[];
}

export interface KubeInput {
  /** in dependency order (a dependency before its dependents: kube play starts them in this order) */
  apps: KubeApp[];
  workload: 'pod' | 'deployment';
  /** image of the init containers that wait for a dependency's health (needs sh, wget and nc) */
  waitImage: string;
  /** secret file → value, only with --with-secrets; without, every Secret is left for the operator to fill */
  secretValues?: Readonly<Record<string, string>>;
  hashVersion: number;
}

export interface KubeOutput { documents: KubeDocument[]; gaps: KubeGap[]; notes: KubeGap[] }

/** A Kubernetes probe of a podledger health check, and whether it could be said. */
export type Probe = Record<string, unknown>;
