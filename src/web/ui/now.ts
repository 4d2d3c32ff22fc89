/// <reference lib="dom" />
// Now: every app with its state, health, restarts, backoff, why it waits and its manifest's rejection
// (file:line:col), as `podledger status` computes them; refreshed when the live stream brings events.
import type { AppView, Waiting } from '../../core/views.js';
import type { NodeLine } from '../source.js';
import { $, getJson, h, iso, replace } from './dom.js';
import { openWhy } from './why.js';

export interface NowData { node: NodeLine; seq: number; boot: number; apps: Omit<AppView, 'spec'>[] }

export function nodeText(n: NodeLine): string {
  if (!n.live) return `read-only: the captured log ${n.origin}, last event #${n.seq}`;
  const p = n.podman;
  const podman = p.reachable ? `podman reachable${p.version ? ` (${p.version})` : ''} at ${p.socket}` : `podman UNREACHABLE at ${p.socket}`;
  return `daemon running, boot ${n.boot}, pid ${n.pid}, since ${iso(n.startedAt)}; ${podman}; log at #${n.seq}`;
}

function waitingText(w: Waiting | null): string {
  if (!w) return '';
  switch (w.reason) {
    case 'backoff': return `backoff: attempt ${w.attempt + 1} not before ${w.until}`;
    case 'retry-after-failure': return `retry after failure (${w.failure}) not before ${w.until}`;
    case 'dependency': return `waiting on ${w.on.map((d) => `${d.app}: ${d.message}`).join('; ')}`;
    case 'manifest-rejected': return 'manifest rejected';
    case 'unresolved': return `unresolved: ${w.because.map((r) => `${r.code}${r.field ? ` ${r.field}` : ''}`).join('; ')}`;
  }
}

function observedText(o: AppView['observed']): string {
  return o.state === null ? 'no container' : `${o.state}${o.exitCode !== null ? ` (exit ${o.exitCode})` : ''}`;
}

function rejection(w: Waiting | null): Node | string {
  if (w?.reason !== 'manifest-rejected') return '';
  return h('ul', { class: 'plain' }, w.errors.map((e) => h('li', {}, h('code', {}, `${e.file}:${e.line}:${e.col}`), ` ${e.path}: ${e.message}`)));
}

export async function renderNow(): Promise<void> {
  const data = await getJson<NowData>('/api/now');
  replace($('#node-line'), nodeText(data.node));
  const rows = data.apps.map((a) => h('tr', { 'data-app': a.app },
    h('th', { scope: 'row' }, a.app),
    h('td', { class: a.converged ? 'ok' : 'bad' }, a.converged ? '✓ converged' : '✗ not converged'),
    h('td', { 'data-col': 'state' }, observedText(a.observed), a.lastExit ? h('div', { class: 'sub' }, `last exit ${a.lastExit.exitCode}${a.lastExit.signal ? ` (${a.lastExit.signal})` : ''} at ${a.lastExit.at}`) : ''),
    h('td', {}, a.health ?? '—'),
    h('td', { 'data-col': 'restarts' }, String(a.restarts)),
    h('td', {}, a.backoff ? `attempt ${a.backoff.attempt + 1} not before ${a.backoff.until}` : '—'),
    h('td', {}, waitingText(a.waiting) || '—', a.failure ? h('div', { class: 'sub' }, `last failure: ${a.failure}`) : ''),
    h('td', {}, rejection(a.waiting) || '—'),
    h('td', {}, h('button', { type: 'button', class: 'link', 'aria-haspopup': 'dialog', 'aria-label': `why ${a.app}'s container was last created, recreated, started or removed`, onclick: () => void openWhy(a.app) }, 'why')),
  ));
  replace($('#now-body'), data.apps.length > 0 ? h('table', { 'aria-label': 'Apps now' },
    h('thead', {}, h('tr', {}, ['App', 'Converged', 'State', 'Health', 'Restarts', 'Backoff', 'Waiting', 'Rejection', 'Last action'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)) : h('p', {}, 'The log knows no apps yet.'));
  replace($('#now-seq'), `as of event #${data.seq}, boot ${data.boot}`);
}
