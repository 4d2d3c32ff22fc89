// Lines of an export (or records of a store) that cannot be decoded, counted while a command reads
// and told once, summarised: how many, the first few, and the first reason. One warning per line
// would bury the answer (a damaged file of 890,000 lines printed 890,000 warnings).
import { printable } from '../core/render.js';

/** How many lines (or seqs) a summary lists before "…". */
const LISTED = 5;

export class Undecodable {
  #count = 0;
  readonly #seen = new Set<number>(); // a line read twice (why reads some lines more than once) counts once: line N as N, #S as -S - 1
  readonly #first: { where: string; reason: string; isLine: boolean }[] = [];

  /** `origin`: the file or data dir, for the summary. */
  constructor(readonly origin: string) {}

  get count(): number {
    return this.#count;
  }

  /** The OnCorrupt callback of a read. */
  readonly note = (seq: number, reason: string): void => {
    const line = /^line (\d+): /.exec(reason)?.[1];
    const key = line !== undefined ? `line ${line}` : `#${seq}`;
    const id = line !== undefined ? Number(line) : -seq - 1;
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.#count += 1;
    if (this.#first.length < LISTED) this.#first.push({ where: key, reason: line !== undefined ? reason : `${key}: ${reason}`, isLine: line !== undefined });
  };

  /** "3 lines cannot be decoded (lines 2, 5, 9; the first: line 2: …)", or undefined when none. */
  describe(): string | undefined {
    const first = this.#first[0];
    if (!first) return undefined;
    const unit = first.isLine ? 'line' : 'record';
    if (this.#count === 1) return `1 ${unit} cannot be decoded (${printable(first.reason, 300)})`;
    const listed = this.#first.map((f) => (f.isLine ? f.where.slice('line '.length) : f.where)).join(', ');
    const more = this.#count > this.#first.length ? `, … ${this.#count - this.#first.length} more` : '';
    return `${this.#count} ${unit}s cannot be decoded (${unit}s ${listed}${more}; the first: ${printable(first.reason, 300)})`;
  }

  /** The one warning line, on stderr, when anything was left out. */
  report(): void {
    const text = this.describe();
    if (text) process.stderr.write(`podledger: ${this.origin}: ${text}; ${this.#count === 1 ? 'it is' : 'they are'} left out\n`);
  }
}
