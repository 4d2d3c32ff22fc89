// Offline replay rate: NDJSON → decode → fold (`foldItems` over `readNdjsonBatches`, `foldChunk`), for 100k events of a busy 30-app node,
// next to the raw rate of reading the same file line by line with JSON.parse, in the same run; and as a
// user runs it (bin/podledger.js, a fresh node): start-up, and replay --log of a 300k-event export
// against a node that reads its lines and JSON.parses them (the ratio is raw time / replay time).
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CURRENT_VERSION, type Draft, type Envelope } from '../core/events.js';
import { foldItems } from '../log/fold.js';
import { readNdjsonBatches } from '../log/ndjson.js';
import { busyNode } from './scale-bench.js';
import { BIN, bestRuns } from './cli-runs.js';
import type { BenchRow } from './types.js';

/** The executable as users run it, and the captured log start-up is measured on. */
const SMALL_LOG = fileURLToPath(new URL('../../events/crash-loop.ndjson', import.meta.url));
const DEMO_APPS = fileURLToPath(new URL('../../examples/demo/apps', import.meta.url));
const EXPORT_EVENTS = 300_000;
const CLI_ROUNDS = 3;
const STARTUP_ROUNDS = 10;

/** A user's commands, end to end: start-up, and `replay --log` of a 300k-event export against reading its lines with JSON.parse. */
async function benchCli(dir: string): Promise<BenchRow[]> {
  const file = path.join(dir, 'export-300k.ndjson');
  const out = createWriteStream(file);
  let lines: string[] = [];
  for (const e of busyNode(EXPORT_EVENTS)) {
    lines.push(JSON.stringify(e));
    if (lines.length === 5000) {
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    }
  }
  await new Promise<void>((resolve, reject) => out.end(`${lines.length ? `${lines.join('\n')}\n` : ''}`, () => resolve()).once('error', reject));
  const rawScript = "const rl=require('node:readline').createInterface({input:require('node:fs').createReadStream(process.argv[1]),crlfDelay:Infinity});let n=0;rl.on('line',(l)=>{if(JSON.parse(l))n++});";
  // Start-up: offline commands on a small captured log (32 events) and the demo's 4 manifests, where
  // loading the program is most of the time, against node's own start-up, in turns.
  const startup: [string, string[]][] = [
    ['--version', ['--version']],
    ['replay --log events/crash-loop.ndjson', ['replay', '--log', SMALL_LOG]],
    ['why crasher --log events/crash-loop.ndjson', ['why', 'crasher', '--log', SMALL_LOG]],
    ['status --log events/crash-loop.ndjson', ['status', '--log', SMALL_LOG]],
    ['validate --apps examples/demo/apps', ['validate', '--apps', DEMO_APPS]],
  ];
  const [node, ...times] = bestRuns([['-e', '0'], ...startup.map(([, args]) => [BIN, ...args])], STARTUP_ROUNDS);
  // NODE_EXTRA_CA_CERTS makes every node parse that file before it runs anything (~60 ms of CPU for
  // a large bundle of certificates): part of the floor above, not of podledger, so shown apart.
  const { NODE_EXTRA_CA_CERTS: extraCa, ...withoutCa } = process.env;
  const bare = extraCa === undefined ? undefined : bestRuns([['-e', '0'], [BIN, 'replay', '--log', SMALL_LOG]], STARTUP_ROUNDS, [withoutCa, withoutCa]);
  // in turns, as start-up is: a neighbour's burst then falls on both alike
  const [raw, replay] = bestRuns([['-e', rawScript, file], [BIN, 'replay', '--log', file]], CLI_ROUNDS) as [{ wall: number; user: number }, { wall: number; user: number }];
  const nodeRow = { name: `node -e 0 (node's own start-up, the floor), in the same turns`, value: Math.round(node!.wall) };
  const nodeUser = { name: `node -e 0, mean user CPU`, value: Math.round(node!.user) };
  return [
    ...startup.map(([name], i) => ({
      name: `start-up: podledger ${name}, best of ${STARTUP_ROUNDS} (target < ${i === 0 ? 150 : 300} ms)`, value: Math.round(times[i]!.wall), unit: 'ms', baseline: nodeRow, ratio: times[i]!.wall / node!.wall,
    })),
    { name: `start-up: podledger replay --log events/crash-loop.ndjson, mean user CPU of ${STARTUP_ROUNDS}`, value: Math.round(times[1]!.user), unit: 'ms', baseline: nodeUser, ratio: times[1]!.user / node!.user },
    ...(bare ? [{
      name: `start-up: podledger replay --log events/crash-loop.ndjson without NODE_EXTRA_CA_CERTS, best of ${STARTUP_ROUNDS}`, value: Math.round(bare[1]!.wall), unit: 'ms',
      baseline: { name: 'node -e 0 without NODE_EXTRA_CA_CERTS, in the same turns', value: Math.round(bare[0]!.wall) }, ratio: bare[1]!.wall / bare[0]!.wall,
    }] : []),
    {
      name: `replay --log, ${EXPORT_EVENTS / 1000}k-event export, end to end (a fresh node), best of ${CLI_ROUNDS} (target ≥ ×0.8)`, value: Math.round(replay.wall), unit: 'ms',
      baseline: { name: `node: read its lines + JSON.parse, best of ${CLI_ROUNDS}`, value: Math.round(raw.wall) }, ratio: raw.wall / replay.wall,
    },
    // user CPU moves less than wall time with the machine's other load (the reads are from the page cache)
    {
      name: `replay --log, ${EXPORT_EVENTS / 1000}k-event export, end to end, mean user CPU of ${CLI_ROUNDS}`, value: Math.round(replay.user), unit: 'ms',
      baseline: { name: `node: read its lines + JSON.parse, mean user CPU of ${CLI_ROUNDS}`, value: Math.round(raw.user) }, ratio: raw.user / replay.user,
    },
  ];
}

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
    }, ...await benchCli(dir)];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
