// `export --follow --out FILE`, killed mid-stream and started again on the same file, writes every
// event exactly once: the built command line against a real store served on its control socket as
// the daemon serves it (no podman needed), events appended all the while.
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seqOfLine } from '../../../src/cli/otel.js';
import { initialState } from '../../../src/core/state.js';
import { serveControl } from '../../../src/daemon/control.js';
import type { EventStore } from '../../../src/log/store.js';
import { startCli, type Daemon } from '../../support/cli.js';
import { exited, secret, useTempDir } from '../log/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await ok()); await sleep(25)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('export --follow into a file', () => {
  const tmp = useTempDir();
  let store: EventStore | undefined;
  let control: { close(): Promise<void> } | undefined;
  const exporters: Daemon[] = [];
  afterEach(async () => {
    for (const e of exporters) if (e.exitCode() === null) process.kill(e.pid, 'SIGKILL');
    exporters.length = 0;
    await control?.close();
    await store?.close();
  });

  const start = (args: string[]) => {
    const e = startCli(['export', '--follow', ...args]);
    exporters.push(e);
    return e;
  };
  /** Appends `rounds` small batches, a few ms apart, as a busy daemon would. */
  const appendRounds = async (rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      await store!.append([exited(`app${i % 3}`), exited('web', 0), secret(`pw${i % 2}`, 'vault')]);
      await sleep(5);
    }
  };

  for (const format of ['otel', 'ndjson'] as const) {
    it(`given an ${format} follower killed mid-stream (leaving part of a line), when started again on its file, then every event is in the file once, in seq order`, async () => {
      const data = join(tmp.dir(), 'data');
      store = await tmp.open({}, data);
      await store.append([exited('app0'), exited('app1')]);
      control = await serveControl(data, store, () => initialState);
      const file = join(tmp.dir(), `audit.${format}`);
      const args = ['--format', format, '--out', file, '--data', data];

      const first = start(args);
      const appending = appendRounds(120);
      await until('the first follower to write 60 lines', async () => (await lines(file)).length >= 60);
      process.kill(first.pid, 'SIGKILL');
      await until('the killed follower to exit', async () => first.exitCode() !== null);
      await appendFile(file, format === 'otel' ? '{"resourceLogs":[{"resource":{"attr' : '{"seq":99999,"id":"01a2');
      const second = start(args);
      await appending;
      const last = store.lastSeq;
      await until(`the file to reach #${last}`, async () => seqOfLine((await lines(file)).at(-1) ?? '') === last);
      expect(await second.stop()).toBe(0);

      const written = await lines(file);
      const events = format === 'ndjson' ? written.slice(1) : written;
      if (format === 'ndjson') expect(JSON.parse(written[0]!)).toMatchObject({ podledger: 'export' });
      expect(events.map(seqOfLine)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(second.stderr()).toMatch(/ended in part of a line .* cut off/);
      expect(second.stderr()).toMatch(/resumed after #\d+/);
    }, 60_000);
  }
});
