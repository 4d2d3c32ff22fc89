// Shared by every fault scenario (test/support/faults/*.ts): the seeded randomness, small helpers,
// and what the daemon says through its control socket, its log and its memory.
//
// Every random choice comes from one seeded generator: a failing run prints its seed, and
// `PODLEDGER_FAULT_SEED=<seed>` replays the same choices (timings still vary with the machine).
import { readFileSync } from 'node:fs';
import type { Envelope } from '../../../src/core/events.js';
import type { State } from '../../../src/core/state.js';
import { controlGetJson, controlItems, controlSocketPath } from '../../../src/daemon/control.js';
import { runCli } from '../cli.js';

// ---------------------------------------------------------------------------------------------
// Randomness, time, small helpers
// ---------------------------------------------------------------------------------------------

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)] as (typeof xs)[number],
    chance: (p) => next() < p,
  };
}

/** The seed of this run: `PODLEDGER_FAULT_SEED`, else a fresh one (printed by the scenarios). */
export function faultSeed(): number {
  const given = Number(process.env.PODLEDGER_FAULT_SEED);
  return Number.isInteger(given) && given > 0 ? given : (Date.now() ^ (process.pid << 16)) >>> 0;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Say = (line: string) => void;
export const say: Say = (line) => void process.stdout.write(`[faults] ${line}\n`);

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

export function summary(xs: readonly number[]): { n: number; min: number; median: number; p95: number; max: number } {
  return { n: xs.length, min: Math.min(...xs), median: percentile(xs, 50), p95: percentile(xs, 95), max: Math.max(...xs) };
}

// ---------------------------------------------------------------------------------------------
// The daemon's control socket, its log, its memory
// ---------------------------------------------------------------------------------------------

/** How long the control socket may stay silent before a read fails. */
const CONTROL_TIMEOUT_MS = 5_000;

/** The running daemon's projection, read from its control socket. */
export function controlState(data: string): Promise<{ seq: number; stateHash: string; state: State }> {
  return controlGetJson<{ seq: number; stateHash: string; state: State }>(controlSocketPath(data), '/state', { timeoutMs: CONTROL_TIMEOUT_MS });
}

/** Events after `since`, as the control socket serves them (read from the store: each one durable). */
export async function controlEvents(data: string, since = 0): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const item of controlItems(controlSocketPath(data), `/events?since=${since}`, { timeoutMs: CONTROL_TIMEOUT_MS })) {
    if (!item.ok) throw new Error(`control socket served a corrupt record #${item.seq}: ${item.reason}`);
    out.push(item.event);
  }
  return out;
}

/** `podledger events --json --data DIR`: through the daemon when one runs, else from the db. */
export async function cliEvents(data: string): Promise<Envelope[]> {
  const r = await runCli(['events', '--json', '--data', data], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`podledger events --json --data ${data} exited ${r.code}: ${r.stderr}`);
  if (/cannot be decoded/.test(r.stderr)) throw new Error(`podledger events reported undecodable records:\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Envelope);
}

/** Where the seqs of a whole log are not exactly 1..n, or undefined. */
export function gapProblem(events: readonly Pick<Envelope, 'seq'>[]): string | undefined {
  for (let i = 0; i < events.length; i++) {
    const seq = events[i]!.seq;
    if (seq !== i + 1) return `position ${i + 1} holds seq ${seq} (previous ${i > 0 ? events[i - 1]!.seq : 'none'}); ${events.length} events`;
  }
  return undefined;
}

/**
 * What the daemon acknowledged: every event the control socket ever served, by seq. A later read of
 * the log must still hold each one, with the same id.
 */
export class Acknowledged {
  readonly ids = new Map<number, string>();
  readonly types = new Map<number, string>();
  max = 0;

  add(events: readonly Envelope[]): void {
    for (const e of events) {
      const known = this.ids.get(e.seq);
      if (known !== undefined && known !== e.id) throw new Error(`seq ${e.seq} was served as ${known}, now as ${e.id}`);
      this.ids.set(e.seq, e.id);
      this.types.set(e.seq, `${e.type}${e.app ? ` ${e.app}` : ''}`);
      this.max = Math.max(this.max, e.seq);
    }
  }

  /** Acknowledged events the log no longer holds (or holds with another id). */
  lost(log: readonly Envelope[]): { seq: number; type: string; id: string; now: string | undefined }[] {
    const bySeq = new Map(log.map((e) => [e.seq, e.id]));
    return [...this.ids].filter(([seq, id]) => bySeq.get(seq) !== id).map(([seq, id]) => ({ seq, type: this.types.get(seq) ?? '?', id, now: bySeq.get(seq) }));
  }

  /** Poll the control socket until stopped; returns a stop function resolving once polling ended. */
  follow(data: string, everyMs = 60): () => Promise<void> {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        try {
          this.add(await controlEvents(data, this.max));
        } catch (err) {
          if ((err as Error).message.startsWith('seq ') || (err as Error).message.includes('corrupt')) throw err;
          // no daemon answering yet (starting, or just killed): nothing acknowledged
        }
        await sleep(everyMs);
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }
}

/** VmRSS of a process in KiB (from /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
