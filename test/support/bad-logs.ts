// Files that are not podledger logs, for the tests of what the offline commands do with them: each
// kind of bad input a user or an attacker can hand to `--log` (or `import`), with the reason the CLI
// must give (src/log/log-file.ts).
import { randomBytes } from 'node:crypto';
import { open, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

export interface BadLog {
  /** what kind of input it is */
  kind: string;
  file: string;
  /** the start of the reason the refusal gives, after "FILE: " */
  reason: string;
}

/** The kinds writeBadLogs writes (without `huge`), in order. */
export const BAD_LOG_KINDS = [
  'empty file', 'whitespace only', 'binary (an executable: NUL bytes)', 'binary (invalid UTF-8, no NUL)', 'a JSON array of events',
  'JSON objects that are not events', 'a docker events dump', 'a podman events dump', 'a package.json (pretty-printed JSON)',
  'one long line of text (no line break in 64 KiB)', 'text lines, not JSON', 'mostly undecodable (3 events, then 10 bad lines)',
  'undecodable after its first 64 KiB (150 events, then 400 bad lines)', 'an export header of a newer format',
] as const;

/** A real captured log (23 events, 5 recorded plans). */
export const REAL_LOG = join(REPO_ROOT, 'events', 'host-ip-change.ndjson');

/** An ELF header: a NUL at byte 7, before any line break. */
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]);

/** `n` lines of the real log, renumbered 1..n (repeating it): a valid log as long as wanted. */
export async function realLines(n: number): Promise<string[]> {
  const events = (await readFile(REAL_LOG, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return Array.from({ length: n }, (_, i) => JSON.stringify({ ...events[i % events.length], seq: i + 1, id: `e${i + 1}` }));
}

/**
 * Writes the bad inputs into `dir`. `huge`: also a 200 MB binary and a 4 GiB sparse file (ftruncate:
 * no disk used), which must be refused as fast as a small one.
 */
export async function writeBadLogs(dir: string, opts: { huge?: boolean } = {}): Promise<BadLog[]> {
  const logs: BadLog[] = [];
  const add = async (kind: string, name: string, content: string | Buffer, reason: string) => {
    const file = join(dir, name);
    await writeFile(file, content);
    logs.push({ kind, file, reason });
  };
  const nonUtf8 = Buffer.alloc(4096, Buffer.from([0xff, 0xfe, 0x80, 0xc3]));
  await add('empty file', 'empty.ndjson', '', 'not a podledger log: the file is empty');
  await add('whitespace only', 'blank.ndjson', '  \n\n\t\r\n   \n', 'not a podledger log: the file holds only blank lines');
  await add('binary (an executable: NUL bytes)', 'a.out', Buffer.concat([ELF, randomBytes(100_000)]), 'not a podledger log: binary data, not text (NUL bytes on line 1)');
  await add('binary (invalid UTF-8, no NUL)', 'latin.bin', nonUtf8, 'not a podledger log: binary data, not UTF-8 text (line 1)');
  await add('a JSON array of events', 'array.json', `[${(await realLines(3)).join(',')}]\n`, 'not a podledger log: line 1 is a JSON array; a podledger log has one event object per line');
  await add('JSON objects that are not events', 'objects.ndjson', '{"name":"x","version":"1.0.0"}\n{"a":1}\n', 'not a podledger log: line 1 is a JSON object with neither seq nor type: not a podledger event');
  await add('a docker events dump', 'docker-events.ndjson',
    '{"status":"start","id":"0123abcd","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"0123abcd","Attributes":{"name":"x"}},"scope":"local","time":1700000000,"timeNano":1700000000000000000}\n'.repeat(20),
    'not a podledger log: line 1 is a docker/podman event (Type, Action), not a podledger event');
  await add('a podman events dump', 'podman-events.ndjson',
    '{"ID":"0123abcd","Image":"busybox","Name":"x","Status":"start","Time":"2026-11-27T12:00:00Z","Type":"container","Attributes":{"name":"x"}}\n'.repeat(20),
    'not a podledger log: line 1 is a docker/podman event (Type, Status), not a podledger event');
  await add('a package.json (pretty-printed JSON)', 'package.json', await readFile(join(REPO_ROOT, 'package.json')),
    "not a podledger log: line 1 is '{' alone: a JSON document spread over lines, not one event per line (line 1: not JSON: ");
  await add('one long line of text (no line break in 64 KiB)', 'long-line.txt', 'a'.repeat(100_000), 'not a podledger log: no line break in the first 64 KiB: not NDJSON (one event per line)');
  await add('text lines, not JSON', 'syslog.txt', 'Nov 27 12:00:00 node kernel: hello\n'.repeat(50), 'not a podledger log: line 1 is not JSON (line 1: not JSON: ');
  await add('mostly undecodable (3 events, then 10 bad lines)', 'mostly-bad.ndjson', [...await realLines(3), ...Array.from({ length: 10 }, (_, i) => `garbage ${i}`)].join('\n') + '\n',
    'mostly undecodable: 10 of its 13 lines are not podledger events (line 4: not JSON: ');
  await add('undecodable after its first 64 KiB (150 events, then 400 bad lines)', 'bad-tail.ndjson',
    [...await realLines(150), ...Array.from({ length: 400 }, (_, i) => `{"seq":${151 + i},"garbage":true}`)].join('\n') + '\n',
    'mostly undecodable: 400 of its 550 lines are not podledger events (the first: line 151: bad envelope: ');
  await add('an export header of a newer format', 'newer.ndjson', [JSON.stringify({ podledger: 'export', format: 99 }), ...await realLines(5)].join('\n') + '\n',
    'line 1: bad export header: format: ');
  if (logs.map((l) => l.kind).join('|') !== BAD_LOG_KINDS.join('|')) throw new Error('writeBadLogs: BAD_LOG_KINDS is out of date');
  if (opts.huge) {
    const big = join(dir, 'big.bin');
    const fh = await open(big, 'w');
    try {
      const block = Buffer.concat([ELF, randomBytes((1 << 20) - ELF.length)]);
      for (let i = 0; i < 200; i++) await fh.write(block);
    } finally {
      await fh.close();
    }
    logs.push({ kind: 'a 200 MB binary', file: big, reason: 'not a podledger log: binary data, not text (NUL bytes on line 1)' });
    const sparse = join(dir, 'sparse.img');
    await writeFile(sparse, '');
    await truncate(sparse, 4 * 1024 ** 3);
    logs.push({ kind: 'a 4 GiB sparse file (all NUL)', file: sparse, reason: 'not a podledger log: binary data, not text (NUL bytes on line 1)' });
  }
  return logs;
}
