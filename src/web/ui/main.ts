/// <reference lib="dom" />
// The page's entry: tabs (Now, Timeline, Diff) chosen by the URL's hash, the node's status line, and
// the live stream (a running daemon only) that refreshes Now and feeds the timeline without a reload.
import type { TimelineRow } from '../timeline.js';
import type { NodeLine } from '../source.js';
import { initDiff } from './diff.js';
import { $, getJson, replace } from './dom.js';
import { nodeText, renderNow } from './now.js';
import { bootsOf, initTimeline, newestShown, onLive } from './timeline.js';
import { initDialog } from './why.js';

const VIEWS = ['now', 'timeline', 'diff'] as const;
type View = (typeof VIEWS)[number];

function show(view: View): void {
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== view;
    $(`#tab-${v}`).setAttribute('aria-selected', String(v === view));
    $(`#tab-${v}`).tabIndex = v === view ? 0 : -1;
  }
  document.title = `podledger · ${view}`;
}

const current = (): View => (VIEWS as readonly string[]).includes(location.hash.slice(1)) ? location.hash.slice(1) as View : 'now';

function tabs(): void {
  for (const v of VIEWS) $(`#tab-${v}`).addEventListener('click', () => { location.hash = v; });
  $('#tabs').addEventListener('keydown', (e) => {
    const i = VIEWS.indexOf(current());
    const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (to === null) return;
    const next = VIEWS[(to + VIEWS.length) % VIEWS.length]!;
    location.hash = next;
    $(`#tab-${next}`).focus();
  });
  window.addEventListener('hashchange', () => show(current()));
  show(current());
}

/** Follows the log after `since` (what the page has shown), a running daemon's only. */
function live(node: NodeLine, since: number): void {
  if (!node.live) return;
  const stream = new EventSource(`/api/stream?since=${since}`);
  let refresh: ReturnType<typeof setTimeout> | undefined;
  stream.addEventListener('append', (m) => {
    onLive(JSON.parse((m as MessageEvent<string>).data) as TimelineRow[]);
    clearTimeout(refresh);
    refresh = setTimeout(() => void renderNow(), 200);
  });
  stream.addEventListener('error', () => replace($('#live'), 'live: reconnecting…'));
  stream.addEventListener('open', () => replace($('#live'), 'live: following the log'));
}

async function start(): Promise<void> {
  tabs();
  initDialog();
  // the requests of the view on screen go out at once, side by side; the other view's follow
  const nodeLine = getJson<NodeLine>('/api/node');
  const now = current() === 'now' ? renderNow() : undefined;
  const timeline = initTimeline();
  const node = await nodeLine;
  replace($('#node-line'), nodeText(node));
  replace($('#live'), node.live ? 'live: connecting…' : 'read-only: a captured log does not change');
  const { boots } = await timeline;
  live(node, newestShown() || node.seq); // nothing after what the list shows is missed; a repeat is dropped
  await boots;
  initDiff(bootsOf());
  await (now ?? renderNow());
  document.body.dataset.ready = 'true';
}

start().catch((err: unknown) => replace($('#node-line'), `podledger ui could not start: ${(err as Error).message}`));
