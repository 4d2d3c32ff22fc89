// Reading manifests: the 20 tier manifests (as podman-util.ts writes them) through parseManifest,
// which takes the YAML subset reader, against parseManifestPlain (the yaml package), in the same run.
// Cold is what the daemon's start and `validate` pay (a fresh process each time, user CPU of the 20
// reads, the import excluded); warm is the steady cost per manifest.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseManifest, parseManifestPlain } from '../manifest/parse.js';
import { TIER_CATALOG } from './tier-catalog.js';
import type { BenchRow } from './types.js';

const TEXTS = TIER_CATALOG;

const COLD_RUNS = 9;
const WARM_ROUNDS = 300;

/** User CPU (ms) of reading the 20 texts once in a fresh process, by `how`. */
function coldOnce(how: 'parseManifest' | 'parseManifestPlain'): number {
  const parse = fileURLToPath(new URL('../manifest/parse.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(parse)}); const texts = ${JSON.stringify(TEXTS)};
const u = process.cpuUsage(); for (const { id, text } of texts) if (!m.${how}(text, 'apps/' + id + '/manifest.yml', id).ok) throw new Error(id);
process.stdout.write(String(process.cpuUsage(u).user / 1000));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: manifest: child failed: ${r.stderr}`);
  return Number(r.stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function warm(read: typeof parseManifest): number {
  const round = () => { for (const { id, text } of TEXTS) read(text, `apps/${id}/manifest.yml`, id); };
  for (let i = 0; i < WARM_ROUNDS; i++) round();
  const start = performance.now();
  for (let i = 0; i < WARM_ROUNDS; i++) round();
  return ((performance.now() - start) * 1000) / (WARM_ROUNDS * TEXTS.length);
}

export async function benchManifest(): Promise<BenchRow[]> {
  const fast: number[] = [];
  const plain: number[] = [];
  // Alternating, so that the load of the moment weighs on both alike.
  for (let i = 0; i < COLD_RUNS; i++) {
    fast.push(coldOnce('parseManifest'));
    plain.push(coldOnce('parseManifestPlain'));
  }
  const rows: BenchRow[] = [];
  const row = (name: string, value: number, unit: string, baseline: string, base: number) =>
    rows.push({ name, value, unit, baseline: { name: baseline, value: base }, ratio: value / base });
  row(`read 20 tier manifests, cold (fresh process, user CPU, median of ${COLD_RUNS})`, median(fast), 'ms', 'the yaml package (parseManifestPlain)', median(plain));
  const w = warm(parseManifest);
  const wp = warm(parseManifestPlain);
  row('read a tier manifest, warm', w, 'µs', 'the yaml package (parseManifestPlain)', wp);
  return Promise.resolve(rows);
}
