// The text of `podledger status`: the node's lines, each app's extra lines, and `status APP`'s
// describe-like page. Everything shown comes from the data `--json` prints; nothing here decides.
import { iso, printable, renderDifference, renderReason } from '../core/render.js';
import type { AppDetail } from '../core/describe.js';
import type { AppView, ExitView, PendingView, Waiting } from '../core/views.js';
import { renderWhy, type WhyEntry } from '../core/why.js';
import type { NodeReport } from './status.js';

const label = (name: string) => `${name}:`.padEnd(14);

export function renderNode(n: NodeReport): string {
  const lines: string[] = [];
  const d = n.daemon;
  if (d === null) lines.push(`${label('daemon')}not asked (reading the captured log ${n.log.source})`);
  else if (!d.running) lines.push(`${label('daemon')}not running (what follows is what the log says)`);
  else lines.push(`${label('daemon')}running, boot ${d.boot}, pid ${d.pid}${d.since ? `, since ${d.since}` : ''}`);
  const p = n.podman;
  if (p !== null) {
    if (!p.known) lines.push(`${label('podman')}unknown (${p.why})`);
    else if (p.reachable) lines.push(`${label('podman')}reachable${p.version ? `, version ${p.version}` : ''} at ${p.socket}`);
    else lines.push(`${label('podman')}UNREACHABLE at ${p.socket}${p.checkedAt ? ` (last tried ${p.checkedAt})` : ''}; the daemon acts again once it answers: start podman's API service (systemctl start podman.socket), or restart the daemon with the right --podman-socket`);
  }
  lines.push(`${label('log')}${n.log.seq === 0 ? 'empty (no events yet)' : `last seq #${n.log.seq}`} (boot ${n.log.boot}), from ${n.log.source}`);
  return lines.join('\n');
}

/** `exit 137 (SIGKILL), OOM killed, at …` */
export function renderExit(e: ExitView): string {
  const oom = e.oomKilled === true ? ', OOM killed' : e.oomKilled === false ? '' : ' (OOM not recorded)';
  return `exit ${e.exitCode}${e.signal ? ` (${e.signal})` : ''}${oom}, at ${e.at}`;
}

export function renderWaiting(w: Waiting): string[] {
  switch (w.reason) {
    case 'backoff': return [`crash-loop backoff (attempt ${w.attempt}) until ${w.until}`];
    case 'retry-after-failure': return [`retry after a failure until ${w.until}: ${printable(w.failure, 300)}`];
    case 'dependency': return w.on.map((d) => `blocked on dependency ${d.app}: ${d.message}`);
    case 'manifest-rejected': return w.errors.map((e) => `manifest rejected: ${e.file}:${e.line}:${e.col}: ${e.path ? `${e.path}: ` : ''}${printable(e.message, 300)}`);
    case 'unresolved': return w.because.map((b) => `cannot resolve the spec: ${renderReason(b)}`);
  }
}

/** `restart: container-exited …; …`: a pending action in words. */
export function renderPending(p: PendingView): string {
  return `${p.kind}: ${p.reasons.map(renderReason).join('; ')}`;
}

/** `exited (exit 3)`, `running`, `no container` */
export function renderObserved(o: AppView['observed']): string {
  return o.state === null ? 'no container' : `${o.state}${o.exitCode !== null ? ` (exit ${o.exitCode})` : ''}`;
}

/** A probe as the app view may carry it (`probes`, added alongside): shown when present. */
interface ProbeLike { at?: number | string; ok?: boolean; output?: string; latencyMs?: number }

function renderProbes(probes: unknown): string[] {
  if (!Array.isArray(probes) || probes.length === 0) return [];
  return ['last probes:', ...(probes as ProbeLike[]).map((p) => {
    const at = typeof p.at === 'number' ? iso(p.at) : (p.at ?? '(time unknown)');
    const ms = typeof p.latencyMs === 'number' ? ` ${p.latencyMs} ms` : '';
    return `  ${at} ${p.ok ? 'ok  ' : 'FAIL'}${ms}${p.output ? `  ${printable(p.output, 200)}` : ''}`;
  })];
}

export function renderDetail(a: AppDetail, why: WhyEntry | null): string {
  const o = a.observed;
  const lines = [
    `${label('app')}${a.app} ${a.converged ? '(converged)' : '(not converged)'}`,
    `${label('desired')}${a.desired.state === 'resolved' ? `spec ${a.desired.specHash}, image ${a.desired.image}` : a.desired.state}`,
    `${label('observed')}${o.state === null ? 'no container' : `${o.state} since ${o.since}, spec ${o.specHash ?? '(unlabelled)'}, image ${o.image ?? '(unknown)'}`}`,
  ];
  if (o.container) lines.push(`${label('container')}${o.container} (${o.name})${o.adopted ? ', adopted' : ''}`);
  if (o.createdAt) lines.push(`${label('created at')}${o.createdAt}`);
  if (o.startedAt) lines.push(`${label('started at')}${o.startedAt}`);
  lines.push(`${label('last exit')}${a.lastExit ? `${renderExit(a.lastExit)}${a.lastExit.container !== o.container ? ` (container ${a.lastExit.container})` : ''}` : 'none recorded'}`);
  lines.push(`${label('restarts')}${a.restarts} since the last stable run${a.backoff ? `; backoff attempt ${a.backoff.attempt}, next not before ${a.backoff.until}` : ''}`);
  for (const w of a.waiting ? renderWaiting(a.waiting) : []) lines.push(`${label('waiting')}${w}`);
  if (a.health) {
    const h = a.health;
    lines.push(`${label('health')}${h.status}${h.since ? ` since ${h.since}` : ''}${h.failingStreak !== null ? `, failing streak ${h.failingStreak}` : ''}${h.detail ? `: ${printable(h.detail, 300)}` : ''}`);
  } else lines.push(`${label('health')}${o.state === 'running' ? 'no health check' : '(not running)'}`);
  lines.push(...renderProbes(a.probes));
  if (a.dependencies.length === 0) lines.push(`${label('dependencies')}none`);
  else lines.push('dependencies:', ...a.dependencies.map((d) => `  ${d.app} (${d.condition}${d.restartWithIt ? ', restart with it' : ''}): ${d.met ? 'met' : `NOT met: ${d.why}`}`));
  for (const d of a.drift) lines.push(`${label('drift')}${renderDifference(d)}`);
  if (a.rolledBack) lines.push(`${label('rolled back')}to spec ${a.rolledBack.to}; held there until the manifest changes`);
  if (a.failure) lines.push(`${label('last failure')}${a.failure.kind} (attempt ${a.failure.attempt}) at ${a.failure.at}: ${a.failure.message}`);
  for (const p of a.pending) lines.push(`${label('pending')}${renderPending(p)}`);
  lines.push(why ? `last why:\n${indent(renderWhy([why]).trimEnd())}` : `${label('last why')}no create, recreate, start or remove of this app in the log`);
  return lines.join('\n');
}

const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');

/** `status` and `replay`: a line per app, and the lines saying what is wrong with it. */
export function renderViews(views: readonly AppView[]): string {
  return views.map((r) => {
    const desired = r.desired.specHash?.slice(0, 12) ?? r.desired.state.replace('-', ' ');
    const lines = [`${r.converged ? '✓' : '✗'} ${r.app.padEnd(16)} ${(renderObserved(r.observed) + (r.health ? ` ${r.health}` : '')).padEnd(24)} desired ${desired}${r.container ? `  container ${r.container.slice(0, 12)}` : ''}`];
    if (r.lastExit) lines.push(`    last exit: ${renderExit(r.lastExit)}${r.lastExit.container !== r.container ? ` (container ${r.lastExit.container.slice(0, 12)})` : ''}`);
    if (r.restarts > 0) lines.push(`    restarts since last stable run: ${r.restarts}${r.backoff ? `; next not before ${r.backoff.until}` : ''}`);
    for (const w of r.waiting ? renderWaiting(r.waiting) : []) lines.push(`    waiting: ${w}`);
    for (const p of r.probes) lines.push(`    probe ${p.at} ${p.ok ? 'ok' : 'failed'} ${p.latencyMs} ms: ${p.output}`);
    if (r.rolledBack) lines.push('    rolled back to the last healthy configuration; held there until the manifest changes');
    for (const d of r.drift) lines.push(`    drift: ${renderDifference(d)}`);
    // a wait or block is said by `waiting` above
    for (const p of r.pending) if (!(r.waiting && (p.kind === 'wait' || p.kind === 'blocked'))) lines.push(`    ${renderPending(p)}`);
    if (r.failure) lines.push(`    last failure: ${r.failure}`);
    return lines.join('\n');
  }).join('\n');
}
