// /api/stream: the log's follow stream as server-sent events, so the page updates without a reload.
// Each appended batch is one `append` event of timeline rows (redacted like every other answer). A
// client that reconnects says the last seq it saw (Last-Event-ID, which EventSource sends by itself)
// and first gets what it missed, read from the log (the newest MAX_CATCH_UP of it).
import type http from 'node:http';
import type { Envelope } from '../core/events.js';
import type { WebSource } from './source.js';
import { rowOf, type TimelineRow } from './timeline.js';

const HEARTBEAT_MS = 15_000;
/** The most missed events a reconnect is sent (a page away longer shows the newest and pages back for the rest). */
export const MAX_CATCH_UP = 5_000;

export function streamRoute(source: WebSource, req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
  if (!source.subscribe) {
    res.statusCode = 204; // a captured log does not change; 204 tells EventSource not to reconnect
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  const given = Number(req.headers['last-event-id'] ?? url.searchParams.get('since') ?? NaN);
  let sent = Number.isSafeInteger(given) && given >= 0 ? given : undefined;
  const send = (rows: TimelineRow[]) => {
    const fresh = rows.filter((r) => sent === undefined || r.seq > sent);
    if (fresh.length === 0) return;
    sent = fresh.at(-1)!.seq;
    res.write(`id: ${sent}\nevent: append\ndata: ${JSON.stringify(fresh)}\n\n`);
  };
  // subscribed before the catch-up read, so nothing appended in between is missed (send drops repeats)
  const pending: Envelope[][] = [];
  let caughtUp = false;
  const unsubscribe = source.subscribe((events) => (caughtUp ? send(events.map(rowOf)) : pending.push(events)));
  const heartbeat = setInterval(() => res.write(': alive\n\n'), HEARTBEAT_MS);
  req.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
  });
  res.write(': following\n\n');
  void (async () => {
    if (sent !== undefined) {
      const missed: TimelineRow[] = [];
      const since = Math.max(sent, (await source.lastSeq()) - MAX_CATCH_UP);
      for await (const item of source.lookup.read({ since })) if (item.ok) missed.push(rowOf(item.event));
      send(missed);
    }
    for (const events of pending) send(events.map(rowOf));
    caughtUp = true;
  })().catch((err: unknown) => res.destroy(err as Error));
}
