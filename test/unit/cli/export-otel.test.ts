// `export --format otel`: every event as one OTLP/JSON log record per line, with the fields a log
// pipeline indexes (time, severity, event name, node, app, seq, causedBy) and no secret hash.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/core/events.js';
import { resumePoint } from '../../../src/cli/export-resume.js';
import { seqOfLine } from '../../../src/cli/otel.js';
import { useTempDir } from '../log/helpers.js';
import { run } from './run.js';

type KeyValue = { key: string; value: { stringValue?: string; intValue?: string } };
interface Record { timeUnixNano: string; severityNumber: number; severityText: string; eventName: string; body: { stringValue: string }; attributes: KeyValue[] }
interface Line { resourceLogs: { resource: { attributes: KeyValue[] }; scopeLogs: { scope: { name: string }; logRecords: Record[] }[] }[] }

const recordOf = (line: string): Record => (JSON.parse(line) as Line).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
const attr = (r: Record, key: string) => {
  const v = r.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue;
};
const ndjsonEvents = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Envelope).filter((e) => e.seq !== undefined);

describe('export --format otel', () => {
  it('given a captured log, when exported as otel, then each event is one log record carrying its time, severity, name, app, seq and cause', async () => {
    const log = 'events/crash-loop.ndjson';
    const events = await ndjsonEvents(log);

    const r = await run(['export', '--log', log, '--format', 'otel']);

    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(events.length);
    lines.forEach((line, i) => {
      const e = events[i]!;
      const rec = recordOf(line);
      expect(rec.timeUnixNano).toBe(String(BigInt(e.at) * 1_000_000n));
      expect(rec.eventName).toBe(e.type);
      expect(attr(rec, 'podledger.seq')).toBe(String(e.seq));
      expect(attr(rec, 'log.record.uid')).toBe(e.id);
      expect(attr(rec, 'podledger.app')).toBe(e.app);
      expect(attr(rec, 'podledger.caused_by')).toBe(e.causedBy === undefined ? undefined : String(e.causedBy));
      expect(rec.body.stringValue.length).toBeGreaterThan(0);
      expect(seqOfLine(line)).toBe(e.seq);
    });
    const failures = lines.map(recordOf).filter((rec) => rec.eventName === 'ActionFailed' || (rec.eventName === 'ContainerExited' && !attr(rec, 'podledger.data')?.includes('"exitCode":0')));
    expect(failures.length).toBeGreaterThan(0);
    for (const rec of failures) expect([rec.severityText, rec.severityNumber]).toEqual(['ERROR', 17]);
    // the node the log's daemon runs named, as the record's and the resource's attribute
    const node = events.find((e) => e.type === 'BootStarted')!.data as { node?: string };
    expect(attr(recordOf(lines.at(-1)!), 'podledger.node')).toBe(node.node);
  });

  it('given logs that hold secret hashes, when exported as otel, then no hash (nor a 12-digit prefix of one) is in the output', async () => {
    for (const log of ['events/secret-rotation.ndjson', 'events/demo-host-ip-change.ndjson', 'events/first-boot-demo.ndjson']) {
      const text = await readFile(log, 'utf8');
      const hashes = new Set<string>();
      // a secret's hash: SecretObserved's value, and a spec's secretEnv entry {secret, hash}
      for (const m of text.matchAll(/"type":"SecretObserved".*?"value":"([0-9a-f]{32,})"/g)) hashes.add(m[1]!);
      for (const m of text.matchAll(/"secret":"[^"]*","hash":"([0-9a-f]{32,})"/g)) hashes.add(m[1]!);
      expect(hashes.size, `${log} holds secret hashes`).toBeGreaterThan(0);

      const r = await run(['export', '--log', log, '--format', 'otel']);

      expect(r.code).toBe(0);
      for (const h of hashes) expect(r.stdout, `${log}: ${h.slice(0, 12)}…`).not.toContain(h.slice(0, 12));
    }
  });

  it('given --since, when exporting, then only events after that seq are written', async () => {
    const r = await run(['export', '--log', 'events/host-ip-change.ndjson', '--format', 'otel', '--since', '10']);

    expect(r.code).toBe(0);
    const seqs = r.stdout.trim().split('\n').map((l) => seqOfLine(l));
    expect(seqs[0]).toBe(11);
    expect(seqs.every((s, i) => s === 11 + i)).toBe(true);
  });

  it('given --follow with --log, when run, then it is refused as a usage error naming the fix', async () => {
    const r = await run(['export', '--log', 'events/host-ip-change.ndjson', '--format', 'otel', '--follow']);

    expect(r.code).toBe(2);
    expect(r.errorLines.join('\n')).toMatch(/give --data DIR/);
  });
});

describe('where a followed export resumes', () => {
  const tmp = useTempDir();
  const otelOf = async (log: string) => (await run(['export', '--log', log, '--format', 'otel'])).stdout;

  it('given a file ending in part of a line, when resuming, then the part is cut off and the last whole line\'s seq is the point', async () => {
    const whole = (await otelOf('events/host-ip-change.ndjson')).split('\n').slice(0, 5).join('\n') + '\n';
    const file = join(tmp.dir(), 'audit.jsonl');
    await writeFile(file, `${whole}{"resourceLogs":[{"resou`);

    const point = await resumePoint(file, 'otel');

    expect(point.last).toBe(5);
    expect(await readFile(file, 'utf8')).toBe(whole);
  });

  it('given files that are not podledger\'s or of the other format, when resuming, then the error names the file and the fix', async () => {
    const foreign = join(tmp.dir(), 'foreign.jsonl');
    await writeFile(foreign, '{"hello":"world"}\n');
    const ndjson = join(tmp.dir(), 'node.ndjson');
    await writeFile(ndjson, await readFile('events/host-ip-change.ndjson', 'utf8'));

    await expect(resumePoint(foreign, 'otel')).rejects.toThrow(new RegExp(`${foreign}: its last line is not an event podledger exported; fix: give --out a new file`));
    await expect(resumePoint(ndjson, 'otel')).rejects.toThrow(/holds ndjson lines, not otel; fix: give --format ndjson/);
    expect(await resumePoint(join(tmp.dir(), 'new.jsonl'), 'otel')).toEqual({ lines: 0 });
  });

  it('given a line longer than the read step, when resuming, then it is still found whole', async () => {
    const line = (await otelOf('events/host-ip-change.ndjson')).split('\n')[0]!;
    const long = line.replace('"podledger.kind"', `"podledger.pad${'x'.repeat(200_000)}"`);
    const file = join(tmp.dir(), 'long.jsonl');
    await writeFile(file, `${line}\n${long}\n`);

    expect(await resumePoint(file, 'otel')).toEqual({ last: 1, lines: 1 });
  });
});
