// Fuzzing what `--log` may be handed (fast-check): random bytes, random JSON, and real captured logs
// (events/*.ndjson) and simulated ones, truncated and damaged. Through the whole command line
// (`replay --check`, in process), the CLI must never crash, never exit other than 0 or 1, print only
// `podledger: ` lines on stderr, and say "all agree" with exit 0 exactly when the file is a podledger
// log that decodes whole and whose recorded decisions (at least one) all re-plan equal: the oracle
// below decides that independently, from the reader and the core alone.
//
// PROP_RUNS sets the cases per property (default 200; `npm run fuzz`: 10,000).
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { checkDecisions } from '../../../src/core/replay.js';
import { readExportHeader, readNdjson } from '../../../src/log/ndjson.js';
import { REPO_ROOT } from '../../support/cli.js';
import { run, STACK } from '../cli/run.js';
import { collect } from '../log/helpers.js';
import { damage, damageLines, fileBytes, framing, validLines } from './logs.js';
import { fastTempDir, RUNS, TIMEOUT } from './support.js';

/** The recorded scenarios (events/ logs that replay/ holds expectations for), as lines. */
const REAL: string[][] = readdirSync(join(REPO_ROOT, 'replay')).filter((f) => f.endsWith('.json'))
  .map((f) => readFileSync(join(REPO_ROOT, 'events', f.replace(/\.json$/, '.ndjson')), 'utf8').trimEnd().split('\n'));

/** Whether `replay --check` may agree: every line decodes, and at least one decision was re-planned, all equal. */
async function shouldAgree(file: string): Promise<{ agree: boolean; checked: number }> {
  try {
    if ((await readExportHeader(file))?.compaction) throw new Error('a compacted export: not generated here');
  } catch {
    return { agree: false, checked: 0 }; // a bad header
  }
  const items = await collect(readNdjson(file));
  if (items.some((i) => !i.ok)) return { agree: false, checked: 0 };
  const r = checkDecisions(items.map((i) => (i as { event: Envelope }).event));
  return { agree: r.checked > 0 && r.divergence === undefined, checked: r.checked };
}

describe('replay --check given anything as --log', () => {
  let tmp: Awaited<ReturnType<typeof fastTempDir>>;
  let n = 0;
  /** exit codes seen, per property: a property that never sees both proves little */
  let seen = { agreed: 0, refused: 0 };
  beforeAll(async () => {
    tmp = await fastTempDir('podledger-fuzz-inputs');
  });
  afterAll(() => tmp.cleanup());

  /** The property, for one file's bytes. */
  async function holdsUp(bytes: Uint8Array): Promise<void> {
    const file = join(tmp.path, `input-${(n += 1)}.ndjson`);
    await writeFile(file, bytes);
    const r = await run(['replay', '--check', '--log', file]);
    const shown = `exit ${r.code}\nstdout: ${r.stdout.slice(0, 300)}\nstderr: ${r.stderr.slice(0, 600)}\nfile (${bytes.length} bytes): ${JSON.stringify(Buffer.from(bytes).toString('utf8').slice(0, 300))}`;
    expect(STACK.test(r.stderr) || STACK.test(r.stdout), shown).toBe(false);
    expect([0, 1], shown).toContain(r.code);
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(line, shown).toMatch(/^podledger: /);
    expect(r.stderr, shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/); // eslint-disable-line no-control-regex
    const oracle = await shouldAgree(file);
    seen = r.code === 0 ? { ...seen, agreed: seen.agreed + 1 } : { ...seen, refused: seen.refused + 1 };
    expect(r.code === 0, `agrees with exit 0 only for a whole log whose ${oracle.checked} decision(s) re-plan equal:\n${shown}`).toBe(oracle.agree);
    // A damaged BootStarted may claim another fold or hash version: the check then says so first, one line.
    const verdict = r.stdout.replace(/^replay --check: written by another podledger: [^\n]*\n/, '');
    if (r.code === 0) expect(verdict, shown).toBe(`replay --check: ${oracle.checked} recorded decision(s) re-planned by today's planner: all agree\n`);
    else expect(r.stdout, shown).not.toMatch(/all agree/);
  }

  it('given random bytes (text-like or binary, with line breaks), then never a crash, and never agreement (no such input is a log)', async () => {
    const chunk = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...['\n', '\r\n', '{', '}', '[', '"seq":', '{"seq":1,', '\u0000', ' '].map((s) => Buffer.from(s))));
    await fc.assert(fc.asyncProperty(fc.array(chunk, { maxLength: 40 }), async (parts) => holdsUp(Buffer.concat(parts))), RUNS);
  }, TIMEOUT);

  it('given random JSON lines (any values, and objects shaped like envelopes), then never a crash, and agreement only when the oracle agrees', async () => {
    const envelopeLike = fc.record({
      seq: fc.oneof(fc.nat(30), fc.constant(1e20)), id: fc.string({ maxLength: 4 }), type: fc.constantFrom('PlanDecided', 'BootStarted', 'SecretRemoved', 'Mystery'),
      v: fc.integer({ min: 0, max: 3 }), at: fc.nat(), boot: fc.nat(3), bootSeq: fc.nat(30), source: fc.constantFrom('reconciler', 'secrets', 'nobody'),
      data: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ atSeq: fc.nat(30), stateHash: fc.string({ maxLength: 4 }), plannedAt: fc.nat(), actions: fc.constant([]) })),
    }, { requiredKeys: ['seq', 'type'] });
    const line = fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), envelopeLike.map((v) => JSON.stringify(v)), fc.constant(JSON.stringify({ podledger: 'export', format: 1 })));
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 20 }), async (lines) => holdsUp(Buffer.from(lines.map((l) => `${l}\n`).join('')))), RUNS);
  }, TIMEOUT);

  it('given real captured logs, truncated at any byte and damaged (bytes, lines, fields, framing), then never a crash, and agreement only when the oracle agrees', async () => {
    const input = fc.record({
      log: fc.constantFrom(...REAL), damages: fc.array(damage, { maxLength: 4 }), framing, cut: fc.option(fc.nat(), { nil: undefined }),
    }).map(({ log, damages, framing: f, cut }) => {
      const bytes = fileBytes(damageLines(log, damages), f);
      return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    });
    await fc.assert(fc.asyncProperty(input, holdsUp), RUNS);
  }, TIMEOUT);

  it('given simulated valid logs, whole or damaged, then never a crash, and agreement only when the oracle agrees (a whole log with a plan agrees)', async () => {
    const input = fc.record({ lines: validLines(25), damages: fc.array(damage, { maxLength: 2 }), framing })
      .map(({ lines, damages, framing: f }) => fileBytes(damageLines(lines, damages), f));
    seen = { agreed: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(input, holdsUp), RUNS);
    if (RUNS.numRuns >= 100) expect(seen.agreed > 0 && seen.refused > 0, `both outcomes: ${JSON.stringify(seen)}`).toBe(true);
  }, TIMEOUT);
});
