// Offline replay rate: NDJSON → decode → fold (`foldItems` over `readNdjsonBatches`, `foldChunk`), for 100k events of a busy 30-app node,
// next to the raw rate of reading the same file line by line with JSON.parse, in the same run.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CURRENT_VERSION, type Draft, type Envelope } from '../core/events.js';
import { foldItems } from '../log/fold.js';
import { readNdjsonBatches } from '../log/ndjson.js';
import type { BenchRow } from './types.js';

const EVENTS = 100_000;
const APPS = 30;
const ROUNDS = 5;

/** A synthetic but shaped-like-life log: manifests first, then exits, restarts, fact changes and plans. */
function syntheticLog(): Envelope[] {
  const drafts: Draft[] = [];
  for (let a = 0; a < APPS; a++) {
    const id = `app${a}`;
    const manifest = { app: { id, name: id, version: '1' }, container: { image: `img/${id}:1`, environment: { A: '1' }, derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}/' }] } };
    drafts.push({ type: 'ManifestObserved', source: 'manifests', app: id, data: { path: `apps/${id}/manifest.yml`, hash: `h${a}`, manifest, templates: {} } });
  }
  for (let i = 0; drafts.length < EVENTS; i++) {
    const app = `app${i % APPS}`;
    const id = `c${i % APPS}`;
    switch (i % 5) {
      case 0: drafts.push({ type: 'ContainerStarted', source: 'podman', app, data: { id, name: app } }); break;
      case 1: drafts.push({ type: 'ContainerExited', source: 'podman', app, data: { id, name: app, exitCode: 137 } }); break;
      case 2: drafts.push({ type: 'PlanDecided', source: 'reconciler', data: { atSeq: drafts.length, stateHash: 'x', plannedAt: 1_800_000_000_000 + drafts.length, actions: [{ kind: 'start', app, reasons: [{ code: 'container-exited', causedBy: drafts.length }] }] } }); break;
      case 3: drafts.push({ type: 'ActionStarted', source: 'reconciler', app, data: { action: { kind: 'start', app, reasons: [{ code: 'container-exited' }] } } }); break;
      default: drafts.push({ type: 'HostFactsObserved', source: 'host', data: { facts: { HOST_IP: `10.0.${i % 250}.1` }, changed: ['HOST_IP'] } });
    }
  }
  return drafts.map((d, i) => ({ ...d, seq: i + 1, id: `e${i + 1}`, v: CURRENT_VERSION[d.type], at: 1_800_000_000_000 + i, boot: 1, bootSeq: i + 1 }) as Envelope);
}

async function rate(run: () => Promise<number>): Promise<number> {
  const start = process.hrtime.bigint();
  const n = await run();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchReplay(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'podledger-bench-replay-'));
  try {
    const file = path.join(dir, 'log.ndjson');
    await writeFile(file, syntheticLog().map((e) => JSON.stringify(e)).join('\n') + '\n');
    const readRaw = async (): Promise<number> => {
      let n = 0;
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (JSON.parse(line)) n++;
      return n;
    };
    const replayFile = async (): Promise<number> => {
      // as offline readers fold (fold.ts): a batch of lines at a time, folded in chunks (foldChunk)
      const state = await foldItems(readNdjsonBatches(file), (seq, reason) => {
        throw new Error(`bench log is invalid: #${seq}: ${reason}`);
      });
      return state.seq;
    };
    // One pass takes ~0.5 s, short enough for a neighbour's burst to halve it: the two alternate,
    // ROUNDS times, and each side's best pass is compared.
    let raw = 0;
    let replay = 0;
    for (let r = 0; r < ROUNDS; r++) {
      raw = Math.max(raw, await rate(readRaw));
      replay = Math.max(replay, await rate(replayFile));
    }
    return [{
      name: `offline replay (NDJSON → decode → evolve), ${EVENTS / 1000}k events, best of ${ROUNDS}`, value: Math.round(replay), unit: 'events/s',
      baseline: { name: `read lines + JSON.parse, best of ${ROUNDS}`, value: Math.round(raw) }, ratio: replay / raw,
    }];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
