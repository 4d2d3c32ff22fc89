// `podledger why APP`: its own module, loaded alone, so the command loads only what it reads with (the
// store, the event decoder, explain). Through commands.ts it also loaded the fold, immer, the planner
// and the manifest schemas, ~60-70 ms of a 1M-event `why --all` (docs/benchmarks.md, why3).
import { iso } from '../core/render.js';
import { explainAfter, renderWhy, whyData, whyTextChunks, type WhyEntry } from '../core/why.js';
import type { Bound } from './args.js';
import { InvalidInputError } from './errors.js';
import { Undecodable } from './undecodable.js';
import { holdsSeq, loadWhyAll, loadWhyEvents } from './why-source.js';

/** What `why` reads: the options of commands.ts's `Common` it uses. */
export interface WhyOptions {
  data: string;
  log?: string;
  json?: boolean;
}

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const atOrBefore = (e: { seq: number; at: number }, b: Bound | undefined) => b === undefined || ('seq' in b ? e.seq <= b.seq : e.at <= b.at);
const showBound = (b: Bound) => ('seq' in b ? `#${b.seq}` : iso(b.at));

export async function why(o: WhyOptions, app: string, all: boolean, at?: Bound): Promise<void> {
  const bad = new Undecodable(o.log ?? o.data);
  // the plain form of --all prints the texts a store keeps as they are (log/why-view.ts)
  const { kept, texts = [], through, events } = all ? await loadWhyAll(o, app, bad.note, { text: !o.json && at === undefined })
    : { kept: [], through: 0, events: await loadWhyEvents(o, app, all, bad.note, at && ((e) => atOrBefore(e, at))) };
  bad.report();
  // a seq past the log's end: say where it ends, as replay and diff do (the log is read whole only when the seq is not in it)
  if (at && 'seq' in at && at.seq > 0 && !(await holdsSeq(o, at.seq))) {
    const [{ loadLog }, { seqOfPoint }] = await Promise.all([import('./load-log.js'), import('./points.js')]);
    const log = await loadLog(o, new Undecodable(o.log ?? o.data));
    seqOfPoint(log.events, log.base, at, `why: --at ${at.seq}`);
  }
  let count = 0;
  const entries = (function* () {
    for (const w of explainAfter(kept, through, events, app)) {
      if (!atOrBefore(w.action, at)) continue;
      count += 1;
      yield w;
    }
  })();
  // --json prints what it found, then ends as the text form does: exit 1 when there is nothing
  if (o.json) {
    const found = [...entries];
    out(JSON.stringify({ app, ...(at ? { at: 'seq' in at ? at : { at: iso(at.at) } } : {}), entries: (all ? found : found.slice(-1)).map(whyData) }, null, 2));
  } else if (all) {
    // kept texts as they are, then the rest as it is explained and rendered, none kept (each entry ends in a line break: nothing to add, as `out` would)
    count += texts.length;
    for (const chunk of whyTextChunks(texts, entries)) process.stdout.write(chunk);
  } else {
    let last: WhyEntry | undefined;
    for (const w of entries) last = w;
    if (last) out(renderWhy([last]));
  }
  if (count === 0) throw new InvalidInputError(`why: ${app}: no create, recreate, start or remove of this app in the log${at ? ` at or before ${showBound(at)}` : ''}`);
}
