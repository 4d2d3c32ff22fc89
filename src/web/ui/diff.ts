/// <reference lib="dom" />
// Diff: two points (boots, seqs, times) and what changed between them in facts, secrets (set or
// changed, never a value), each app's desired fields and its observed container: `podledger diff`.
import type { StateChange } from '../../core/state-diff.js';
import type { BootBand } from './axis.js';
import { $, getJson, h, replace, show } from './dom.js';

interface DiffData { a: { text: string; seq: number }; b: { text: string; seq: number }; changes: StateChange[] }

function value(c: StateChange, v: unknown): string {
  if (c.kind === 'secret') return v === null ? '(not set)' : 'set';
  if (c.kind === 'hash' || c.kind === 'container') return v === null ? '(none)' : String(v).slice(0, 12);
  return show(v);
}

export async function runDiff(): Promise<void> {
  const a = $<HTMLInputElement>('#diff-a').value.trim();
  const b = $<HTMLInputElement>('#diff-b').value.trim();
  const out = $('#diff-out');
  try {
    const d = await getJson<DiffData>('/api/diff', { a, b });
    const secretChanged = (c: StateChange) => c.kind === 'secret' && c.from === 'set' && c.to === 'set';
    replace(out, h('p', { role: 'status' }, `${d.changes.length} change(s) from ${d.a.text} (#${d.a.seq}) to ${d.b.text} (#${d.b.seq})`),
      d.changes.length === 0 ? '' : h('table', { 'aria-label': 'Changes' },
        h('thead', {}, h('tr', {}, ['App', 'Field', 'From', 'To'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, d.changes.map((c) => h('tr', {},
          h('td', {}, c.app ?? '(node)'), h('td', {}, h('code', {}, c.field)),
          h('td', { class: 'from' }, value(c, c.from)), h('td', { class: 'to' }, secretChanged(c) ? 'changed' : value(c, c.to)))))));
  } catch (err) {
    replace(out, h('p', { role: 'alert' }, (err as Error).message));
  }
}

export function initDiff(boots: BootBand[]): void {
  $('#diff-points').append(...boots.map((b) => h('option', { value: `boot:${b.boot}` }, `end of boot ${b.boot} (#${b.last})`)));
  const [first, second] = [boots.at(-2), boots.at(-1)];
  if (first) $<HTMLInputElement>('#diff-a').value = `boot:${first.boot}`;
  else $<HTMLInputElement>('#diff-a').value = '0';
  if (second) $<HTMLInputElement>('#diff-b').value = `boot:${second.boot}`;
  $('#diff-form').addEventListener('submit', (e) => { e.preventDefault(); void runDiff(); });
}
