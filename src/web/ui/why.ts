/// <reference lib="dom" />
// Why: an action's causal chain as `podledger why` gives it (the same core `explain`), drawn as a
// small graph from the root observation to the action and its outcome: each reason's field, from → to
// (a secret only as changed), each link naming the event that caused it. Also any event's details.
import type { WhyEntry } from '../../core/why.js';
import { $, getJson, h, iso, replace, show } from './dom.js';

type Reason = WhyEntry['reasons'][number];

/** An event line as `podledger events` prints it, less what the node already says (seq, time, boot, type). */
const rest = (line: string) => line.replace(/^#\d+ \S+ boot \d+ \S+ /, '');
type Link = NonNullable<Reason['cause']>[number];

function dialog(): HTMLDialogElement {
  return $<HTMLDialogElement>('#detail');
}

function open(title: string, ...body: Node[]): void {
  const d = dialog();
  replace($('#detail-title'), title);
  replace($('#detail-body'), ...body);
  if (!d.open) d.showModal();
}

function linkNode(l: Link): HTMLLIElement {
  return h('li', { class: 'node', 'data-seq': l.seq },
    h('div', { class: 'node-head' }, h('strong', {}, l.type), ` #${l.seq}`, l.at ? h('span', { class: 'sub' }, ` ${iso(l.at)}`) : ''),
    l.changes?.length
      ? h('ul', { class: 'changes' }, l.changes.map((c) => h('li', {}, h('code', {}, c.name), ': ', h('span', { class: 'from' }, show(c.from)), ' → ', h('span', { class: 'to' }, show(c.to)))))
      : h('div', {}, l.summary),
    h('button', { type: 'button', class: 'link', onclick: () => goToSeq(l.seq) }, `show #${l.seq} in the timeline`));
}

function reasonBlock(r: Reason, w: WhyEntry): HTMLElement {
  const chain = [...(r.cause ?? [])].reverse();
  return h('section', { class: 'reason', 'aria-label': `reason ${r.code}` },
    h('h3', {}, `because ${r.code}`),
    r.field ? h('p', { class: 'field' }, h('code', {}, r.field), ': ', h('span', { class: 'from' }, show(r.from)), ' → ', h('span', { class: 'to' }, show(r.to))) : '',
    h('ol', { class: 'graph', 'aria-label': 'causal chain, root observation first' },
      chain.map(linkNode),
      h('li', { class: 'node action' }, h('div', { class: 'node-head' }, h('strong', {}, w.action.kind), ` ${w.action.app} #${w.action.seq}`)),
      w.outcome ? h('li', { class: `node ${w.outcome.type === 'ActionFailed' ? 'failed' : 'ok'}` }, h('div', { class: 'node-head' }, h('strong', {}, w.outcome.type), ` #${w.outcome.seq}`), h('div', {}, rest(w.outcome.summary))) : h('li', { class: 'node failed' }, 'no outcome recorded (interrupted?)'),
      w.effects.map((x) => h('li', { class: 'node' }, h('div', { class: 'node-head' }, h('strong', {}, x.type), ` #${x.seq}`), h('div', {}, rest(x.summary))))));
}

/** The why of action #seq of `app`, or of its last one. */
export async function openWhy(app: string, seq?: number): Promise<void> {
  try {
    const { entry } = await getJson<{ entry: WhyEntry }>('/api/why', { app, seq });
    open(`Why #${entry.action.seq} ${entry.action.kind} ${app}`,
      h('p', {}, `at ${iso(entry.action.at)}`),
      ...entry.reasons.map((r) => reasonBlock(r, entry)));
  } catch (err) {
    open(`Why ${seq !== undefined ? `#${seq}` : app}`, h('p', { role: 'alert' }, (err as Error).message));
  }
}

export async function openEvent(seq: number): Promise<void> {
  try {
    const e = await getJson<{ type: string; app: string | null; at: number; summary: string; causedBy: number | null; data: unknown }>('/api/event', { seq });
    open(`#${seq} ${e.type}${e.app ? ` ${e.app}` : ''}`, h('p', {}, `${iso(e.at)}: ${e.summary}`),
      e.causedBy !== null ? h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => void openEvent(e.causedBy!) }, `caused by #${e.causedBy}`)) : h('span', {}),
      h('pre', {}, JSON.stringify(e.data, null, 2)));
  } catch (err) {
    open(`#${seq}`, h('p', { role: 'alert' }, (err as Error).message));
  }
}

function goToSeq(seq: number): void {
  dialog().close();
  const row = document.querySelector<HTMLButtonElement>(`button.row[data-seq="${seq}"]`);
  if (row) {
    row.focus();
    row.scrollIntoView({ block: 'center' });
  } else void openEvent(seq);
}

export function initDialog(): void {
  $('#detail-close').addEventListener('click', () => dialog().close());
}
