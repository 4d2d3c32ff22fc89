// The UI's JSON API, one handler per view: /api/node, /api/now, /api/boots, /api/events (timeline
// pages), /api/event, /api/why, /api/diff. Everything is computed by the same core functions the
// commands use (appViews as `status`, explain as `why`, diffStates as `diff`) and passes through
// ./redact.ts on its way out.
import type http from 'node:http';
import { knownApps } from '../core/describe.js';
import { parsePoint } from '../core/points.js';
import { plan } from '../core/plan.js';
import { diffStates } from '../core/state-diff.js';
import { appViews } from '../core/views.js';
import { explain } from '../core/why.js';
import { whyEvents } from '../log/why.js';
import { KINDS, SEVERITIES, type Kind, type Severity } from './classify.js';
import { redactData, redactWhy, scrub } from './redact.js';
import type { WebSource } from './source.js';
import { firstAtOrAfter, rowOf, timelinePage, type TimelineQuery } from './timeline.js';

export class BadRequest extends Error {}

type Handler = (source: WebSource, q: URLSearchParams) => Promise<unknown>;

const int = (q: URLSearchParams, name: string): number | undefined => {
  const text = q.get(name);
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`${name} must be a whole number, got '${text}'`);
  return n;
};

const required = (q: URLSearchParams, name: string): string => {
  const v = q.get(name);
  if (!v) throw new BadRequest(`${name} is required`);
  return v;
};

export const HANDLERS: Record<string, Handler> = {
  '/api/node': (s) => s.node(),
  '/api/now': now,
  '/api/boots': boots,
  '/api/events': events,
  '/api/event': event,
  '/api/why': why,
  '/api/diff': diff,
};

async function now(s: WebSource) {
  const state = await s.state();
  const views = appViews(state, plan(state, Date.now()).actions);
  return { node: await s.node(), seq: state.seq, boot: state.boot, apps: views.map(({ spec: _spec, ...v }) => scrub(v)) };
}

async function boots(s: WebSource) {
  const spans = await s.boots();
  const ats = await s.lookup.getMany(spans.flatMap((b) => [b.first, b.last]));
  const at = (i: number) => { const item = ats[i]; return item?.ok ? item.event.at : null; };
  return {
    lastSeq: await s.lastSeq(),
    apps: knownApps(await s.state()),
    boots: spans.map((b, i) => ({ ...b, fromAt: at(2 * i), toAt: at(2 * i + 1) })),
  };
}

function listOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T[] | undefined {
  const text = q.get(name);
  if (!text) return undefined;
  const items = text.split(',');
  const bad = items.filter((x) => !allowed.includes(x as T));
  if (bad.length > 0) throw new BadRequest(`${name}: unknown ${bad.join(', ')}; known are ${allowed.join(', ')}`);
  return items as T[];
}

async function events(s: WebSource, q: URLSearchParams) {
  const severity = listOf<Severity>(q, 'severity', SEVERITIES)?.[0];
  const query: TimelineQuery = {
    limit: Math.min(int(q, 'limit') ?? 200, 1000),
    ...optional('before', int(q, 'before')), ...optional('from', int(q, 'from')), ...optional('to', int(q, 'to')),
    ...optional('app', q.get('app') || undefined), ...optional('kinds', listOf<Kind>(q, 'kind', KINDS)),
    ...optional('severity', severity), ...optional('text', q.get('q') || undefined),
  };
  return timelinePage(s.lookup, await s.lastSeq(), query);
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : { [key]: value } as { [P in K]: V });

async function event(s: WebSource, q: URLSearchParams) {
  const seq = int(q, 'seq');
  if (seq === undefined) throw new BadRequest('seq is required');
  const [item] = await s.lookup.getMany([seq]);
  if (!item) throw new BadRequest(`the log holds no event #${seq}`);
  if (!item.ok) return { seq, undecodable: item.reason };
  return { ...rowOf(item.event), correlation: item.event.correlation ?? null, data: redactData(item.event) };
}

/** The why of one action: `explain` over the events `why APP` reads (by index), up to that action. */
async function why(s: WebSource, q: URLSearchParams) {
  const app = required(q, 'app');
  const seq = int(q, 'seq');
  const loaded = await whyEvents(s.lookup, app, { all: false, onCorrupt: () => {}, ...(seq !== undefined ? { atOrBefore: (e) => e.seq <= seq } : {}) });
  const entries = explain(loaded.events, app);
  const entry = seq === undefined ? entries.at(-1) : entries.find((w) => w.action.seq === seq);
  if (!entry) throw new BadRequest(`#${seq ?? '?'} is not a create, recreate, start or remove of ${app}`);
  return { app, entry: redactWhy(entry) };
}

/** `diff A B` for two points written as the command line takes them (seq, boot:N, ISO time). */
async function diff(s: WebSource, q: URLSearchParams) {
  const [a, b] = await Promise.all([pointSeq(s, required(q, 'a')), pointSeq(s, required(q, 'b'))]);
  const [sa, sb] = await Promise.all([s.stateAt(a.seq), s.stateAt(b.seq)]);
  return { a, b, changes: diffStates(sa, sb).map(scrub) };
}

async function pointSeq(s: WebSource, text: string): Promise<{ text: string; seq: number }> {
  const point = parsePoint(text, Date.now());
  if (!point) throw new BadRequest(`'${text}' is not a point: give a seq (1234), boot:N or a time (2026-11-27T12:00:00Z, or ago: 30s, 10m)`);
  const last = await s.lastSeq();
  if ('seq' in point) {
    if (point.seq > last) throw new BadRequest(`${text}: the log ends at #${last}`);
    return { text, seq: point.seq };
  }
  if ('boot' in point) {
    const spans = await s.boots();
    const span = spans.find((b) => b.boot === point.boot);
    if (!span) throw new BadRequest(`${text}: the log holds no boot ${point.boot}; its boots are ${spans.map((b) => b.boot).join(', ') || 'none'}`);
    return { text, seq: span.last };
  }
  return { text, seq: (await firstAtOrAfter(s.lookup, last, point.at + 1)) - 1 };
}

/** Answers an /api/ route; false for any other path. */
export function apiRoute(source: WebSource, url: URL, res: http.ServerResponse): boolean {
  const handler = HANDLERS[url.pathname];
  if (!handler) return false;
  const send = (status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify(body));
  };
  handler(source, url.searchParams).then((body) => send(200, body), (err: unknown) => {
    if (err instanceof BadRequest) send(400, { error: err.message });
    else send(500, { error: `podledger ui: ${(err as Error).message}` });
  });
  return true;
}
