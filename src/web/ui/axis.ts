/// <reference lib="dom" />
// The time axis above the timeline's list: boots as bands, and each loaded event as a tick in its
// kind's lane (observations, plans, actions, outcomes). Decorative for a screen reader (the list says
// the same in words); a click on a tick moves the focus to its row.
import type { TimelineRow } from '../timeline.js';
import { h, iso, replace } from './dom.js';

export interface BootBand { boot: number; first: number; last: number; fromAt: number | null; toAt: number | null }

const LANES = ['boot', 'observation', 'plan', 'action', 'outcome'] as const;

export function drawAxis(el: HTMLElement, range: { from: number; to: number }, boots: BootBand[], rows: TimelineRow[], focusRow: (seq: number) => void): void {
  const span = Math.max(1, range.to - range.from);
  const x = (t: number) => Math.min(100, Math.max(0, ((t - range.from) / span) * 100));
  const bands = boots.filter((b) => b.fromAt !== null && b.toAt !== null && b.toAt >= range.from && b.fromAt <= range.to).map((b) => {
    const band = h('div', { class: 'band', title: `boot ${b.boot}: #${b.first}–#${b.last}` }, h('span', {}, `boot ${b.boot}`));
    band.style.left = `${x(b.fromAt!)}%`;
    band.style.width = `${Math.max(0.3, x(b.toAt!) - x(b.fromAt!))}%`;
    return band;
  });
  const lanes = LANES.map((lane, i) => {
    const l = h('div', { class: 'lane' }, h('span', { class: 'lane-name' }, lane));
    l.style.top = `${18 + i * 16}px`;
    return l;
  });
  const ticks = rows.filter((r) => r.at >= range.from && r.at <= range.to).map((r) => {
    const t = h('div', { class: `tick kind-${r.kind} sev-${r.severity}`, title: `#${r.seq} ${r.type} ${r.app ?? ''}` });
    t.style.left = `${x(r.at)}%`;
    t.style.top = `${20 + LANES.indexOf(r.kind) * 16}px`;
    t.addEventListener('click', () => focusRow(r.seq));
    return t;
  });
  replace(el, h('div', { class: 'axis-inner' }, bands, lanes, ticks),
    h('div', { class: 'axis-labels' }, h('span', {}, iso(range.from)), h('span', {}, iso(range.to))));
}
