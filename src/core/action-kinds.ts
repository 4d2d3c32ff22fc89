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

/** How many actions of a plan are of each kind (every kind present, 0 when none), and how many change something. */
export type PlanSummary = Record<ActionKind, number> & { changes: number };

/** The order a summary names kinds in: what makes a container, then what starts, stops or removes one, then what waits. */
const SUMMARY_ORDER: readonly ActionKind[] = ['create', 'recreate', 'rollback', 'adopt', 'start', 'restart', 'remove', 'wait', 'blocked'];

export function summarizePlan(actions: readonly { kind: ActionKind }[]): PlanSummary {
  const counts = Object.fromEntries(SUMMARY_ORDER.map((k) => [k, 0])) as Record<ActionKind, number>;
  for (const a of actions) counts[a.kind] += 1;
  return { ...counts, changes: actions.filter((a) => EXECUTABLE.has(a.kind)).length };
}

/**
 * One line, Terraform's way: "2 to create, 1 to recreate, 0 to roll back, … 0 to remove" over the
 * kinds that change something; waits and blocks follow only when there are some (they change nothing now).
 */
export function renderPlanSummary(s: PlanSummary): string {
  const verb: Partial<Record<ActionKind, string>> = { rollback: 'roll back' };
  const changing = SUMMARY_ORDER.filter((k) => EXECUTABLE.has(k)).map((k) => `${s[k]} to ${verb[k] ?? k}`);
  const idle = [s.wait > 0 ? `${s.wait} waiting` : '', s.blocked > 0 ? `${s.blocked} blocked` : ''].filter(Boolean);
  return `plan: ${changing.join(', ')}${idle.length > 0 ? `; ${idle.join(', ')}` : ''}`;
}
