// What each kind of action is, in one table: whether the executor performs it, whether `why` audits
// it, whether its success means a new container. The planner, the fold, `why` and the reconciler
// read this instead of keeping sets of their own.
import type { ActionKind } from './events.js';

export interface ActionKindInfo {
  /** the executor performs it (`wait` and `blocked` only explain why nothing happens yet) */
  executable: boolean;
  /** `why APP` explains it: it changed what runs */
  audited: boolean;
  /** its success means a new container (for adopt, a newly claimed one) */
  newContainer: boolean;
}

export const ACTION_KINDS_TABLE: Readonly<Record<ActionKind, ActionKindInfo>> = {
  create: { executable: true, audited: true, newContainer: true },
  recreate: { executable: true, audited: true, newContainer: true },
  rollback: { executable: true, audited: true, newContainer: true },
  adopt: { executable: true, audited: true, newContainer: true },
  start: { executable: true, audited: true, newContainer: false },
  restart: { executable: true, audited: true, newContainer: false },
  remove: { executable: true, audited: true, newContainer: false },
  wait: { executable: false, audited: false, newContainer: false },
  blocked: { executable: false, audited: false, newContainer: false },
};

const kindsWhere = (p: keyof ActionKindInfo): ReadonlySet<ActionKind> =>
  new Set((Object.keys(ACTION_KINDS_TABLE) as ActionKind[]).filter((k) => ACTION_KINDS_TABLE[k][p]));

/** Actions the executor performs. */
export const EXECUTABLE = kindsWhere('executable');
/** Actions `why` explains. */
export const AUDITED = kindsWhere('audited');
/** Actions whose success means a new container. */
export const NEW_CONTAINER = kindsWhere('newContainer');
