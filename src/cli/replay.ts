// `replay`: the projected state at a point of a log, and `replay --check`: today's planner against
// every decision the log recorded. `diff`: what changed between two points. Offline, from --log or --data.
//
// A check passes only when it compared something and read everything: a log with no recorded plan,
// or with lines that cannot be decoded, fails it (exit 1), saying so.
import type { Envelope } from '../core/events.js';
import { fold, stateHash } from '../core/evolve.js';
import { plan } from '../core/plan.js';
import { iso, renderPlan, show } from '../core/render.js';
import { checkDecisions, stateAt, TODAY, type BootVersions, type Point } from '../core/replay.js';
import { diffStates, showChange } from '../core/state-diff.js';
import type { State } from '../core/state.js';
import { appViews } from '../core/views.js';
import type { Bound } from './args.js';
import type { Common } from './commands.js';
import { json, out } from './output.js';
import { assertAfterCut, loadLog, undecodable } from './load-log.js';
import { renderViews } from './status-render.js';
import { InvalidInputError, UsageError } from './errors.js';
import { seqOfPoint } from './points.js';
import { foldLog } from './source.js';
import type { Undecodable } from './undecodable.js';

export interface ReplayOptions {
  until?: number;
  boot?: number;
  /** a seq, or a time (see args.ts boundArg) */
  at?: Bound;
  check?: boolean;
}

/** Where a replay stops: `--until SEQ`, the end of `--boot N`, or `--at SEQ|TIME`; and how the user wrote it. */
function stopOf(r: ReplayOptions): { point: Point; what: string } | undefined {
  const given = [r.until !== undefined, r.boot !== undefined, r.at !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('replay: give at most one of --until, --boot, --at');
  if (r.until !== undefined) return { point: { seq: r.until }, what: `replay: --until ${r.until}` };
  if (r.boot !== undefined) return { point: { boot: r.boot }, what: `replay: --boot ${r.boot}` };
  if (r.at !== undefined) return { point: r.at, what: `replay: --at ${'seq' in r.at ? r.at.seq : iso(r.at.at)}` };
  return undefined;
}

export async function replay(o: Common, r: ReplayOptions): Promise<void> {
  const stop = stopOf(r);
  const bad = undecodable(o);
  if (!stop && !r.check) return replayWhole(o, bad);
  const { events: all, base } = await loadLog(o, bad);
  if (!r.check) bad.report(); // a check names them in its verdict instead
  const upTo = stop ? seqOfPoint(all, base, stop.point, stop.what) : undefined;
  const events = upTo === undefined ? all : all.filter((e) => e.seq <= upTo);
  if (upTo !== undefined) assertAfterCut(events.at(-1)?.seq ?? 0, base, 'replay');
  if (r.check) return replayCheck(o, events, base, bad, upTo);
  const state = fold(events.filter((e) => e.seq > base.seq), base);
  // "now" for a replay is its last event: the same output on every run and machine.
  const views = appViews(state, plan(state, events.at(-1)?.at ?? 0).actions);
  if (o.json) return json({ seq: state.seq, boot: state.boot, stateHash: stateHash(state), apps: views });
  out(`replayed ${events.length} events up to #${state.seq} (boot ${state.boot}); state hash ${stateHash(state)}`);
  out(renderViews(views));
}

/** A replay to the end, folded as the log is read (source.ts foldLog): the same output as a fold of every event. */
async function replayWhole(o: Common, bad: Undecodable): Promise<void> {
  const { state, events, lastAt } = await foldLog({ data: o.data, ...(o.log ? { log: o.log } : {}) }, bad.note);
  bad.report();
  const views = appViews(state, plan(state, lastAt ?? 0).actions);
  if (o.json) return json({ seq: state.seq, boot: state.boot, stateHash: stateHash(state), apps: views });
  out(`replayed ${events} events up to #${state.seq} (boot ${state.boot}); state hash ${stateHash(state)}`);
  out(renderViews(views));
}

function replayCheck(o: Common, events: readonly Envelope[], base: State, bad: Undecodable, upTo: number | undefined): void {
  const result = checkDecisions(events, plan, base);
  const d = result.divergence;
  const views = d ? appViews(d.state, d.replayed.actions) : [];
  if (o.json) json({ checked: result.checked, skipped: result.skipped, undecodable: bad.count, otherVersions: result.otherVersions ?? [], today: TODAY, divergence: d ? { ...d, state: undefined, apps: views } : null });
  else if (result.otherVersions) out(otherVersionsNote(result.otherVersions));
  if (d) {
    bad.report();
    const maybe = bad.count > 0 ? ` (the log has lines that cannot be decoded, said above: their events are missing from the fold, which may be why)` : '';
    throw new InvalidInputError(`replay --check: decision #${d.seq} diverges${maybe}`, o.json ? undefined : divergenceReport(d, result.checked, views));
  }
  const lost = bad.describe();
  const cut = result.skipped ? ` (${result.skipped} made before the compaction's cut not checked)` : '';
  if (lost) {
    if (!o.json) out(`replay --check: ${result.checked} recorded decision(s) re-planned by today's planner agree${cut}, but the log was not read whole: ${lost}`);
    throw new InvalidInputError(`replay --check: ${bad.origin}: ${lost}, so the log cannot be fully checked; repair or remove those lines (replay without --check reads the rest)`);
  }
  if (result.checked === 0) {
    const why = result.skipped > 0
      ? `its ${result.skipped} recorded plan(s) were all made before the compaction's cut (#${base.seq}), whose state is gone`
      : `the log holds no recorded plans (PlanDecided events)${upTo !== undefined ? ` up to #${upTo}` : ''}`;
    throw new InvalidInputError(`replay --check: nothing was checked: ${why}; give the log of a node whose daemon planned`);
  }
  if (!o.json) out(`replay --check: ${result.checked} recorded decision(s) re-planned by today's planner: all agree${cut}`);
}

/** Said once: which boots another podledger wrote, and what their check leaves out. */
function otherVersionsNote(boots: readonly BootVersions[]): string {
  const which = boots.map((b) => `boot ${b.boot} (fold ${b.foldVersion}, hash ${b.hashVersion})`).join(', ');
  return `replay --check: written by another podledger: ${which}; today's is fold ${TODAY.foldVersion}, hash ${TODAY.hashVersion}. `
    + 'Their decisions are compared app by app (what and why); their state hashes, spec hashes and backoff timing are not, as those versions computed them otherwise.';
}

function divergenceReport(d: NonNullable<ReturnType<typeof checkDecisions>['divergence']>, agreed: number, views: ReturnType<typeof appViews>): string {
  return [
    `replay --check: decision #${d.seq} diverges (after ${agreed} that agree)`,
    d.versions
      ? `  the projection at #${d.atSeq} was folded by fold ${d.versions.foldVersion} (today's is ${TODAY.foldVersion}): its hash is not compared; the planner decides differently`
      : d.kind === 'state'
        ? `  the projection differs: state hash at #${d.atSeq} was ${d.recorded.stateHash}, today's fold gives ${d.replayed.stateHash}`
        : `  the projection at #${d.atSeq} is the same (hash ${d.recorded.stateHash}); the planner decides differently`,
    `  recorded plan (planned at ${iso(d.plannedAt)}):`,
    indent(renderPlan(d.recorded.actions)),
    '  today\'s planner:',
    indent(renderPlan(d.replayed.actions)),
    `  state at #${d.atSeq}:`,
    indent(renderViews(views)),
  ].join('\n');
}

const indent = (text: string) => text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');

export type { Point };

/** `diff A B`: each point as args.ts read it, and as the user wrote it. */
export async function diff(o: Common, from: [Point, string], to: [Point, string]): Promise<void> {
  const { events, base } = await loadLog(o);
  const [a, b] = [from, to].map(([point, text]) => {
    const seq = seqOfPoint(events, base, point, `diff: ${text}`);
    assertAfterCut(seq, base, 'diff');
    return seq;
  }) as [number, number];
  const changes = diffStates(stateAt(events, a, base), stateAt(events, b, base));
  // app null: a change of the node (a fact, a secret); a stable shape for machines
  if (o.json) return json({ from: a, to: b, changes: changes.map((c) => ({ ...c, app: c.app ?? null })) });
  out(`from #${a} to #${b}: ${changes.length === 0 ? 'no change' : `${changes.length} change(s)`}`);
  for (const c of changes) {
    const [from, to] = showChange(c);
    out(`  ${c.app ?? '(node)'} ${c.field}: ${show(from)} → ${show(to)}`);
  }
}
