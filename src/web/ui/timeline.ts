/// <reference lib="dom" />
// Timeline: the log newest first, a page at a time from /api/events (read backwards through the
// indexes), filtered by app, kind, severity and text, within a time window zoomable from the whole
// log down to a second. Live rows arrive from the stream. Arrow keys move between rows; Enter opens
// an action's why, or any other event's details.
import type { TimelinePage, TimelineRow } from '../timeline.js';
import { drawAxis, type BootBand } from './axis.js';
import { $, getJson, h, iso, replace, SEVERITY_TEXT } from './dom.js';
import { openEvent, openWhy } from './why.js';

const ZOOMS: [string, number | null][] = [
  ['whole log', null], ['year', 365 * 864e5], ['month', 30 * 864e5], ['day', 864e5], ['hour', 36e5], ['minute', 6e4], ['second', 1e3],
];
const PAGE = 200;

interface Boots { lastSeq: number; apps: string[]; boots: BootBand[] }

const tl = {
  rows: [] as TimelineRow[],
  next: null as number | null,
  boots: { lastSeq: 0, apps: [], boots: [] } as Boots,
  zoom: 0,
  /** the window's end while zoomed */
  anchor: 0,
  generation: 0,
  /** a page of older rows is on its way (the scroll observer and the button must not load it twice) */
  busy: false,
  shown: new Set<number>(),
};

const input = <T extends HTMLElement>(id: string) => $<T>(`#${id}`);

function filters(): Record<string, string | number | undefined> {
  const kinds = [...document.querySelectorAll<HTMLInputElement>('input[name=kind]:checked')].map((c) => c.value);
  const span = ZOOMS[tl.zoom]![1];
  return {
    app: input<HTMLSelectElement>('f-app').value || undefined,
    kind: kinds.length === 5 ? undefined : kinds.join(',') || 'none',
    severity: input<HTMLSelectElement>('f-severity').value || undefined,
    q: input<HTMLInputElement>('f-text').value.trim() || undefined,
    ...(span === null ? {} : { from: Math.floor(tl.anchor - span), to: Math.floor(tl.anchor) }),
  };
}

function range(): { from: number; to: number } {
  const span = ZOOMS[tl.zoom]![1];
  if (span !== null) return { from: tl.anchor - span, to: tl.anchor };
  const times = tl.boots.boots.flatMap((b) => [b.fromAt, b.toAt]).filter((t): t is number => t !== null);
  const rowTimes = tl.rows.map((r) => r.at);
  const all = [...times, ...rowTimes];
  return all.length === 0 ? { from: 0, to: 1 } : { from: Math.min(...all), to: Math.max(...all) };
}

/** An action opens its why; an outcome its action's why; any other event its details (and what caused it). */
function open(r: TimelineRow): Promise<void> {
  if (r.why && r.app) return openWhy(r.app, r.seq);
  if (r.kind === 'outcome' && r.app && r.causedBy !== null) return openWhy(r.app, r.causedBy);
  return openEvent(r.seq);
}

function rowItem(r: TimelineRow): HTMLLIElement {
  const label = `#${r.seq}, ${iso(r.at)}, ${r.kind}, ${r.severity}${r.app ? `, app ${r.app}` : ''}, ${r.type}: ${r.summary}${r.why ? '. Press Enter for why' : ''}`;
  const button = h('button', {
    class: `row kind-${r.kind} sev-${r.severity}${r.why ? ' has-why' : ''}`, type: 'button', 'data-seq': r.seq, 'aria-label': label,
    'aria-haspopup': 'dialog', onclick: () => open(r),
  },
  h('span', { class: 'time' }, iso(r.at)), h('span', { class: 'seq' }, `#${r.seq}`), h('span', { class: 'kind' }, r.kind),
  h('span', { class: 'sev' }, SEVERITY_TEXT[r.severity] ?? r.severity), h('span', { class: 'app' }, r.app ?? ''),
  h('span', { class: 'type' }, r.type), h('span', { class: 'summary' }, r.summary), r.why ? h('span', { class: 'why-tag' }, 'why →') : '');
  return h('li', {}, button);
}

function redrawAxis(): void {
  drawAxis($('#axis'), range(), tl.boots.boots, tl.rows, focusRow);
  replace($('#tl-count'), `${tl.rows.length} event(s) shown${tl.next !== null ? '; older ones load as you scroll' : ''} · zoom: ${ZOOMS[tl.zoom]![0]}`);
}

export function focusRow(seq: number): void {
  document.querySelector<HTMLButtonElement>(`button.row[data-seq="${seq}"]`)?.focus();
}

async function loadPage(reset: boolean): Promise<void> {
  const generation = reset ? ++tl.generation : tl.generation;
  if (!reset && (tl.next === null || tl.busy)) return;
  tl.busy = !reset;
  const page = await getJson<TimelinePage>('/api/events', { ...filters(), limit: PAGE, before: reset ? undefined : tl.next ?? undefined })
    .finally(() => { if (!reset) tl.busy = false; });
  if (generation !== tl.generation) return; // the filters changed while this page was on its way
  if (reset) {
    tl.rows = [];
    tl.shown.clear();
    $('#rows').replaceChildren();
  }
  page.rows = page.rows.filter((r) => !tl.shown.has(r.seq));
  for (const r of page.rows) tl.shown.add(r.seq);
  tl.rows.push(...page.rows);
  tl.next = page.next;
  $('#rows').append(...page.rows.map(rowItem));
  // for `npm run bench`: when the first rows are on screen (the frame after they are added)
  if (reset && page.rows.length > 0 && performance.getEntriesByName('podledger:first-rows').length === 0) {
    requestAnimationFrame(() => performance.mark('podledger:first-rows'));
  }
  $('#more').hidden = tl.next === null;
  redrawAxis();
  // a page that matched little (a rare filter) goes on reading while the list is short
  if (tl.next !== null && tl.rows.length < PAGE && page.rows.length < PAGE / 4) await loadPage(false);
}

export function reload(): Promise<void> {
  return loadPage(true).catch(showError);
}

function showError(err: unknown): void {
  replace($('#tl-count'), `could not read the log: ${(err as Error).message}`);
}

function setZoom(i: number): void {
  tl.zoom = Math.max(0, Math.min(ZOOMS.length - 1, i));
  input<HTMLSelectElement>('f-zoom').value = String(tl.zoom);
  void reload();
}

function pan(direction: number): void {
  const span = ZOOMS[tl.zoom]![1];
  if (span === null) return;
  tl.anchor += direction * span;
  void reload();
}

/** New events from the stream: shown at the top when the view follows the end of the log. */
export function onLive(rows: TimelineRow[]): void {
  if (ZOOMS[tl.zoom]![1] !== null) return;
  const f = filters();
  const kinds = f.kind === undefined ? null : String(f.kind).split(',');
  const sevs = ['info', 'warning', 'error'];
  const text = typeof f.q === 'string' ? f.q.toLowerCase() : null;
  const shown = rows.filter((r) => (!f.app || r.app === f.app) && (!kinds || kinds.includes(r.kind))
    && (!f.severity || sevs.indexOf(r.severity) >= sevs.indexOf(String(f.severity)))
    && (!text || `#${r.seq} ${r.type} ${r.app ?? ''} ${r.summary}`.toLowerCase().includes(text))
    && !tl.shown.has(r.seq));
  if (shown.length === 0) return;
  for (const r of shown) tl.shown.add(r.seq);
  tl.rows.unshift(...shown.reverse());
  $('#rows').prepend(...shown.map(rowItem));
  redrawAxis();
}

function keyboard(e: KeyboardEvent): void {
  const rows = [...document.querySelectorAll<HTMLButtonElement>('button.row')];
  const i = rows.indexOf(document.activeElement as HTMLButtonElement);
  if (i < 0) return;
  const to = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? rows.length - 1 : null;
  if (to === null) return;
  e.preventDefault();
  rows[Math.max(0, Math.min(rows.length - 1, to))]?.focus();
}

async function loadBoots(): Promise<void> {
  tl.boots = await getJson<Boots>('/api/boots');
  tl.anchor = Math.max(...tl.boots.boots.map((b) => b.toAt ?? 0), 0) + 1;
  input<HTMLSelectElement>('f-app').append(...tl.boots.apps.map((a) => h('option', { value: a }, a)));
  redrawAxis();
}

/** Resolves once the first page is shown, with the boots (and app list) still on their way. */
export async function initTimeline(): Promise<{ boots: Promise<void> }> {
  input<HTMLSelectElement>('f-zoom').append(...ZOOMS.map(([name], i) => h('option', { value: i }, name)));
  let typing: ReturnType<typeof setTimeout> | undefined;
  $('#filters').addEventListener('change', (e) => {
    if ((e.target as HTMLElement).id === 'f-zoom') setZoom(Number((e.target as HTMLSelectElement).value));
    else if ((e.target as HTMLElement).id !== 'f-text') void reload();
  });
  input('f-text').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void reload(), 250);
  });
  $('#filters').addEventListener('submit', (e) => { e.preventDefault(); void reload(); });
  $('#zoom-in').addEventListener('click', () => setZoom(tl.zoom + 1));
  $('#zoom-out').addEventListener('click', () => setZoom(tl.zoom - 1));
  $('#pan-back').addEventListener('click', () => pan(-1));
  $('#pan-on').addEventListener('click', () => pan(1));
  $('#axis').addEventListener('wheel', (e) => { e.preventDefault(); setZoom(tl.zoom + (e.deltaY < 0 ? 1 : -1)); }, { passive: false });
  $('#more').addEventListener('click', () => void loadPage(false).catch(showError));
  $('#rows').addEventListener('keydown', keyboard);
  new IntersectionObserver((seen) => { if (seen.some((s) => s.isIntersecting)) void loadPage(false).catch(showError); }).observe($('#more'));
  // the first page first: the boots' app list needs the state, which may take a fold
  await reload();
  return { boots: loadBoots() };
}

export const bootsOf = (): BootBand[] => tl.boots.boots;
/** The newest seq the list has shown (0: none), where the live stream goes on from. */
export const newestShown = (): number => Math.max(0, ...tl.shown);
