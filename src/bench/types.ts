/** One measured figure; `baseline` is the raw figure it is compared with in the same run. */
export type BenchRow = {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value */
  ratio?: number;
};

/** A benchmark suite: runs, returns its rows. Registered in `BENCHES` (src/bench/run.ts). */
export type Bench = { name: string; run: () => Promise<BenchRow[]> };
