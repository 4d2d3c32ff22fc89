// `npm run bench [-- --json] [-- NAME...]`: runs the registered benchmarks and prints a table (or JSON).
import { benchLog } from './log-bench.js';
import { benchEngine } from './engine-bench.js';
import { benchManifest } from './manifest-bench.js';
import { benchPodman } from './podman-bench.js';
import { benchReplay } from './replay-bench.js';
import { benchScale } from './scale-bench.js';
import type { Bench, BenchRow } from './types.js';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';

/** Where `npm run bench` leaves its figures as JSON (the README names it). */
const RESULTS_FILE = process.env.BENCH_RESULTS ?? 'bench-results.json';

/**
 * Every benchmark suite `npm run bench` runs, in order.
 * Add new suites here.
 */
export const BENCHES: Bench[] = [
  { name: 'log', run: benchLog },
  { name: 'replay', run: benchReplay },
  { name: 'engine', run: benchEngine },
  // the YAML subset reader against the yaml package, cold and warm
  { name: 'manifest', run: benchManifest },
  { name: 'podman', run: benchPodman },
  // 1M events (--quick: 100k): why via indexes, start from a snapshot, offline replay
  { name: 'scale', run: () => benchScale() },
];

function table(rows: (BenchRow & { suite: string })[]): string {
  const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 3 });
  const cells = rows.map((r) => [
    `${r.suite}: ${r.name}`,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)}` : '',
    r.ratio !== undefined ? `×${fmt(r.ratio)}` : '',
  ]);
  const head = ['benchmark', 'value', 'baseline (same run)', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((s, i) => (i === 1 || i === 3 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) throw new Error(`bench: unknown suite ${unknown.join(', ')}: known are ${BENCHES.map((b) => b.name).join(', ')}`);
  const rows: (BenchRow & { suite: string })[] = [];
  // A suite that waits for something that never comes leaves Node nothing to do: it would exit 0
  // having printed nothing. Say which suite, and fail.
  let running = '';
  const stalled = () => {
    process.stderr.write(`bench: ${running} stopped without finishing (it waited on something that never came)\n`);
    process.exitCode = 1;
  };
  process.on('exit', () => { if (running) stalled(); });
  for (const bench of BENCHES.filter((b) => names.length === 0 || names.includes(b.name))) {
    running = bench.name;
    process.stderr.write(`bench: ${bench.name}…\n`);
    for (const r of await bench.run()) rows.push({ suite: bench.name, ...r });
  }
  running = '';
  process.stdout.write(json ? JSON.stringify(rows, null, 2) + '\n' : table(rows) + '\n');
  // The figures with where they came from, for docs/benchmarks.md and for comparing runs.
  const machine = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() };
  await writeFile(RESULTS_FILE, `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`);
  process.stderr.write(`bench: figures written to ${RESULTS_FILE}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
