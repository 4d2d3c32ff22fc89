// Whether a file is a podledger log, judged from its first 64 KiB (sniffLog) and over a whole read
// (undecodableGuard); and the reader's bound on a line's length.
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { judgeStart, SNIFF_BYTES, sniffLog, undecodableGuard } from '../../../src/log/log-file.js';
import type { ReadItem } from '../../../src/log/store.js';
import { realLines, writeBadLogs, type BadLog } from '../../support/bad-logs.js';
import { collect } from './helpers.js';

describe('sniffLog: is this file a podledger log, from its first bytes', () => {
  let dir = '';
  let bad: BadLog[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podledger-log-file-'));
    bad = await writeBadLogs(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('given each kind of file that is not a podledger log (except one damaged past 64 KiB), then it is refused with what it is instead', async () => {
    for (const b of bad.filter((x) => !x.kind.startsWith('undecodable after'))) {
      const verdict = await sniffLog(b.file);
      expect(verdict.ok, b.kind).toBe(false);
      expect(verdict.ok ? '' : verdict.reason, b.kind).toContain(b.reason);
      expect(verdict.ok ? '' : verdict.reason, b.kind).toMatch(new RegExp(`^${b.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
  });

  it('given real captured logs, with or without a header, CRLF line ends or one damaged line among good ones, then each is accepted', async () => {
    const lines = await realLines(23);
    const cases: [string, string][] = [
      ['as captured', lines.join('\n') + '\n'],
      ['with an export header', [JSON.stringify({ podledger: 'export', format: 1 }), ...lines].join('\n') + '\n'],
      ['CRLF, no final line break', lines.join('\r\n')],
      ['one line damaged', [...lines.slice(0, 4), 'garbage', ...lines.slice(5)].join('\n') + '\n'],
      ['its first line damaged', ['{"seq":1,"oops"', ...lines.slice(1)].join('\n') + '\n'],
      ['blank lines among events', [lines[0], '', lines[1], '   ', lines[2]].join('\n') + '\n'],
      ['a header only (an export of an empty log)', `${JSON.stringify({ podledger: 'export', format: 1, node: '0123456789abcdef' })}\n`],
      ['half of its lines damaged', [lines[0], 'x', lines[1], 'y'].join('\n') + '\n'],
    ];
    for (const [name, text] of cases) {
      const file = join(dir, 'good.ndjson');
      await writeFile(file, text);
      expect(await sniffLog(file), name).toEqual({ ok: true });
    }
  });

  it('given more than half of the judged lines damaged, then "mostly undecodable"; a line cut off by the end of the sample is not judged', async () => {
    const [one, two] = await realLines(2);
    expect(judgeStart(Buffer.from(`${one}\nx\ny\n`), true)).toEqual({ ok: false, reason: expect.stringMatching(/^mostly undecodable: 2 of its 3 lines are not podledger events \(line 2: not JSON: /) });
    // the sample ends inside line 3: lines 1-2 are judged (one good, one bad: not mostly bad)
    expect(judgeStart(Buffer.from(`${one}\nx\n${two!.slice(0, 40)}`), false)).toEqual({ ok: true });
    expect(judgeStart(Buffer.from(`x\ny\n${two!.slice(0, 40)}`), false)).toEqual({ ok: false, reason: expect.stringMatching(/^not a podledger log: line 1 is not JSON/) });
  });

  it('given a 4 GiB sparse file, when sniffed, then it is refused after reading at most 64 KiB + 1 byte, as fast as a small one', async () => {
    const file = join(dir, 'sparse.img');
    await writeFile(file, '');
    await truncate(file, 4 * 1024 ** 3);
    const probe = await open(file, 'r');
    const FileHandle = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
    await probe.close();
    const read = vi.spyOn(FileHandle, 'read');
    try {
      const started = performance.now();
      const verdict = await sniffLog(file);
      const ms = performance.now() - started;
      expect(verdict).toEqual({ ok: false, reason: 'not a podledger log: binary data, not text (NUL bytes on line 1)' });
      expect(read).toHaveBeenCalled();
      const bytes = await Promise.all(read.mock.results.map(async (r) => ((await r.value) as { bytesRead: number }).bytesRead));
      expect(bytes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SNIFF_BYTES + 1);
      expect(ms).toBeLessThan(1000);
    } finally {
      read.mockRestore();
    }
  });

  it('given a first line longer than 64 KiB, then only an export header may be that long', async () => {
    const file = join(dir, 'long-header.ndjson');
    const header = JSON.stringify({ podledger: 'export', format: 1, pad: 'x'.repeat(100_000) });
    await writeFile(file, `${header}\n`);
    expect(await sniffLog(file)).toEqual({ ok: true });
    await writeFile(file, `{"seq":1,"pad":"${'x'.repeat(100_000)}"}\n`);
    expect(await sniffLog(file)).toEqual({ ok: false, reason: 'not a podledger log: no line break in the first 64 KiB: not NDJSON (one event per line)' });
  });
});

describe('undecodableGuard: a whole read most of whose lines are not events', () => {
  async function* items(list: ReadItem[]): AsyncGenerator<ReadItem> {
    yield* list;
  }
  const ok = (seq: number): ReadItem => ({ ok: true, event: { seq } as never, line: seq });
  const bad = (line: number, reason = 'not JSON'): ReadItem => ({ ok: false, seq: 0, reason: `line ${line}: ${reason}`, line });
  const refuse = (reason: string): never => {
    throw new Error(reason);
  };

  it('given more bad lines than good, when read to the end, then refused naming the counts and the first', async () => {
    await expect(collect(undecodableGuard(items([ok(1), bad(2), bad(3)]), refuse))).rejects.toThrow('mostly undecodable: 2 of its 3 lines are not podledger events (the first: line 2: not JSON)');
  });

  it('given as many good as bad, or blank lines, then every item passes', async () => {
    expect(await collect(undecodableGuard(items([ok(1), bad(2), bad(3, 'empty line'), bad(4, 'empty line')]), refuse))).toHaveLength(4);
  });

  it('given a read stopped early, then nothing is judged', async () => {
    for await (const item of undecodableGuard(items([bad(1), bad(2), ok(3)]), refuse)) if (!item.ok) break;
  });
});
