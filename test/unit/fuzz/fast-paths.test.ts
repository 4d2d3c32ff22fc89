// The fast paths of reading and explaining a log against the plain ones they replace, on simulated
// logs (whole, shuffled, damaged): they must answer exactly the same.
// - explain (core/why.ts) searches lists built once; the plain scan per action below is the oracle.
// - foldLog (cli/source.ts) folds an export as it is read, a batch at a time; the oracle collects every
//   event one by one (the file check, readNdjson, the per-line guard) and folds them.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDITED } from '../../../src/core/action-kinds.js';
import type { Envelope, EnvelopeOf } from '../../../src/core/events.js';
import { fold, stateHash } from '../../../src/core/evolve.js';
import { renderEvent, summarise } from '../../../src/core/render.js';
import { explain, type CauseLink, type WhyEntry } from '../../../src/core/why.js';
import { foldLog } from '../../../src/cli/source.js';
import { checkLogFile, guardedLogItems } from '../../../src/cli/input-file.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { APPS, damage, damageLines, fileBytes, framing, validLines, validLog } from './logs.js';
import { fastTempDir, RUNS, TIMEOUT } from './support.js';

/** explain as it was first written: a scan of the whole list per search. */
function plainExplain(events: readonly Envelope[], app: string): WhyEntry[] {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const entries: WhyEntry[] = [];
  for (const e of events) {
    if (e.type !== 'ActionStarted' || e.app !== app || !AUDITED.has(e.data.action.kind)) continue;
    const outcome = events.find(
      (o): o is EnvelopeOf<'ActionSucceeded'> | EnvelopeOf<'ActionFailed'> =>
        o.seq > e.seq && (o.type === 'ActionSucceeded' || o.type === 'ActionFailed') && o.causedBy === e.seq,
    );
    const entry: WhyEntry = {
      action: { seq: e.seq, kind: e.data.action.kind, app, at: e.at, ...(e.correlation ? { correlation: e.correlation } : {}) },
      reasons: e.data.action.reasons.map((r) => (r.causedBy ? { ...r, cause: chain(r.causedBy, bySeq, events) } : { ...r })),
      effects: [],
    };
    if (outcome) {
      const made = outcome.type === 'ActionSucceeded' ? outcome.data.containerId : undefined;
      entry.outcome = {
        seq: outcome.seq, type: outcome.type, at: outcome.at, summary: renderEvent(outcome),
        ...(made ? { container: made } : {}), ...(outcome.type === 'ActionFailed' ? { error: outcome.data.error } : {}),
      };
      const started = events.find((x): x is EnvelopeOf<'ContainerStarted'> => x.seq > outcome.seq && x.type === 'ContainerStarted' && x.app === app);
      if (started && outcome.type === 'ActionSucceeded') entry.effects.push({ seq: started.seq, type: started.type, at: started.at, container: started.data.id, summary: renderEvent(started) });
    }
    entries.push(entry);
  }
  return entries;
}

function chain(seq: number, bySeq: ReadonlyMap<number, Envelope>, events: readonly Envelope[]): CauseLink[] {
  const links: CauseLink[] = [];
  const seen = new Set<number>();
  let next: number | undefined = seq;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const e = bySeq.get(next);
    if (!e) {
      links.push({ seq: next, type: '(not in this log)', at: 0, summary: `event #${next} is not in the log read` });
      break;
    }
    const changes = e.type === 'SecretObserved' ? [{ name: e.data.name, from: '(secret)', to: '(secret changed)' }]
      : e.type !== 'HostFactsObserved' ? undefined
        : e.data.changed.map((name) => {
          const before = [...events].reverse().find((p): p is EnvelopeOf<'HostFactsObserved'> => p.seq < e.seq && p.type === 'HostFactsObserved' && p.data.changed.includes(name));
          return { name, from: before?.data.facts[name] ?? null, to: e.data.facts[name] ?? null };
        });
    links.push({ seq: e.seq, type: e.type, at: e.at, ...(e.app ? { app: e.app } : {}), summary: `${e.app ? `${e.app} ` : ''}${summarise(e)}`, ...(changes ? { changes } : {}) });
    next = e.causedBy;
  }
  return links;
}

/** A log as whyEvents may hand it: whole, a part, out of order, with seqs repeated. */
const arrangedLog = fc.tuple(validLog(40), fc.constantFrom('whole', 'subset', 'shuffled', 'duplicated'), fc.array(fc.nat(), { maxLength: 400 }))
  .map(([log, how, picks]) => {
    if (how === 'whole') return log;
    if (how === 'subset') return log.filter((_, i) => (picks[i % Math.max(1, picks.length)] ?? 0) % 3 !== 0);
    if (how === 'duplicated') return log.flatMap((e, i) => ((picks[i] ?? 1) % 5 === 0 ? [e, e] : [e]));
    const shuffled = [...log];
    picks.forEach((p, i) => {
      const a = i % Math.max(1, shuffled.length);
      const b = p % Math.max(1, shuffled.length);
      [shuffled[a], shuffled[b]] = [shuffled[b]!, shuffled[a]!];
    });
    return shuffled;
  });

describe('explain, by lists built once, against the scan per action', () => {
  it('given simulated logs, whole, in part, shuffled or with repeats, then every app is explained the same', () => {
    fc.assert(fc.property(arrangedLog, (events) => {
      for (const app of [...APPS, 'nobody']) expect(explain(events, app)).toEqual(plainExplain(events, app));
    }), RUNS);
  }, TIMEOUT);
});

describe('foldLog, folding an export as it is read, against collecting every event and folding them', () => {
  let dir: Awaited<ReturnType<typeof fastTempDir>>;
  beforeAll(async () => { dir = await fastTempDir('podledger-fast-paths'); });
  afterAll(async () => dir.cleanup());

  it('given simulated logs, whole or damaged, then the same state, count, last time, undecodable lines and refusal', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(validLines(30), fc.array(damage, { maxLength: 4 }), framing, async (lines, damages, f) => {
      const file = join(dir.path, `log-${n++}.ndjson`);
      await writeFile(file, fileBytes(damageLines(lines, damages), f));
      const plain = await (async () => {
        const bad: string[] = [];
        const events: Envelope[] = [];
        try {
          await checkLogFile(file); // as openLog does first
          for await (const item of guardedLogItems(file, readNdjson(file))) {
            if (item.ok) events.push(item.event);
            else bad.push(`${item.seq} ${item.reason}`);
          }
        } catch (err) {
          return { refused: (err as Error).message, bad };
        }
        const state = fold(events);
        return { hash: stateHash(state), seq: state.seq, events: events.length, lastAt: events.at(-1)?.at, bad };
      })();
      const fast = await (async () => {
        const bad: string[] = [];
        try {
          const r = await foldLog({ data: dir.path, log: file }, (seq, reason) => bad.push(`${seq} ${reason}`));
          return { hash: stateHash(r.state), seq: r.state.seq, events: r.events, lastAt: r.lastAt, bad };
        } catch (err) {
          return { refused: (err as Error).message, bad };
        }
      })();
      expect(fast).toEqual(plain);
    }), { ...RUNS, numRuns: Math.min(RUNS.numRuns, 100) });
  }, TIMEOUT);
});
