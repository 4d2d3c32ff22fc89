// `podledger status` without podman: a node whose daemon is down shows what its log says (exit 0),
// a daemon that answers on the control socket is shown with podman as it last found it, and one app
// is described in depth; an unknown app is refused naming the known ones.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_SOCKET } from '../../../src/daemon/control.js';
import { initialState } from '../../../src/core/state.js';
import { fold } from '../../../src/core/evolve.js';
import { collect } from '../../../src/log/fold.js';
import { readNdjson } from '../../../src/log/ndjson.js';
import { run, STACK } from './run.js';

const LOG = join(import.meta.dirname, '../../../events/crash-loop.ndjson');

describe('status', () => {
  let dir = '';
  let data = '';
  // what the captured log says, to hold the output to (the fixture is re-recorded when decisions change)
  const facts = { lastSeq: 0, restarts: 0, exitAt: '', startedAt: '', startSeq: 0, startAt: '' };
  beforeAll(async () => {
    const events = await collect(readNdjson(LOG), () => undefined);
    const state = fold(events);
    const exits = events.filter((e) => e.type === 'ContainerExited' && e.app === 'crasher');
    const starts = events.filter((e) => e.type === 'ActionStarted' && e.app === 'crasher');
    Object.assign(facts, {
      lastSeq: events.at(-1)!.seq, restarts: state.restarts.crasher?.attempt ?? 0, exitAt: new Date(exits.at(-1)!.at).toISOString(),
      startedAt: new Date(state.containers.crasher!.startedAt!).toISOString(), startSeq: starts.at(-1)!.seq, startAt: new Date(starts.at(-1)!.at).toISOString(),
    });
    dir = await mkdtemp(join(tmpdir(), 'podledger-status-'));
    data = join(dir, 'data');
    expect((await run(['import', LOG, '--data', data])).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('given a node whose daemon is not running, when status runs, then it says so, shows the log\'s state and exits 0', async () => {
    const r = await run(['status', '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(STACK.test(r.stderr)).toBe(false);
    expect(r.stdout).toMatch(/^daemon: +not running/m);
    expect(r.stdout).toMatch(/^podman: +unknown \(daemon not running\)/m);
    expect(r.stdout).toMatch(new RegExp(`^log: +last seq #${facts.lastSeq} \\(boot 1\\)`, 'm'));
    expect(r.stdout).toMatch(/crasher .*exited \(exit 3\)/);
    expect(r.stdout).toContain('last exit: exit 3 (OOM not recorded)');
    expect(r.stdout).toContain(`restarts since last stable run: ${facts.restarts}`);
  });

  it('given the same node, when status --json runs, then the same is data: numbers as numbers, times as ISO strings', async () => {
    const r = await run(['status', '--json', '--data', data]);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { apps: { app: string; lastExit: unknown; restarts: number }[] };
    expect(s.daemon).toEqual({ running: false });
    expect(s.podman).toEqual({ known: false, why: 'daemon not running' });
    expect(s.log).toEqual({ source: data, seq: facts.lastSeq, boot: 1 });
    expect(s.apps[0]).toMatchObject({ app: 'crasher', restarts: facts.restarts, lastExit: { exitCode: 3, signal: null, oomKilled: null, at: facts.exitAt } });
  });

  it('given an app, when status APP --json runs, then it is described with full ids and hashes and its last why entry', async () => {
    const r = await run(['status', 'crasher', '--json', '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { app: { observed: { container: string; specHash: string; startedAt: string }; desired: { specHash: string } }; why: { action: { kind: string; at: string } } };
    expect(s.app.observed.container).toMatch(/^[0-9a-f]{64}$/);
    expect(s.app.desired.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.app.observed.specHash).toBe(s.app.desired.specHash);
    expect(s.app.observed.startedAt).toBe(facts.startedAt);
    expect(s.why.action).toMatchObject({ kind: 'start', at: facts.startAt });
    const text = await run(['status', 'crasher', '--data', data]);
    expect(text.stdout).toContain(`container:    ${s.app.observed.container} (crasher)`);
    expect(text.stdout).toMatch(new RegExp(`^last why:\\n {2}#${facts.startSeq} start crasher`, 'm'));
  });

  it('given an app the log does not know, when status APP runs, then exit 1 with one line naming it and the known apps', async () => {
    const r = await run(['status', 'nope', '--data', data]);
    expect(r.code).toBe(1);
    expect(r.errorLines).toEqual([`podledger: status: nope: no such app in the log (as of #${facts.lastSeq}); known apps: crasher; pass one of them`]);
    expect(r.stdout).toBe('');
  });

  it('given a daemon that answers and has lost podman, when status runs, then it shows the daemon and podman unreachable', async () => {
    const live = join(dir, 'live');
    await run(['import', LOG, '--data', live]);
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/daemon') return res.end(JSON.stringify({ pid: 4242, seq: 32, boot: 2, startedAt: Date.UTC(2026, 11, 1), podman: { socket: '/run/podman/podman.sock', reachable: false, checkedAt: Date.UTC(2026, 11, 2) } }));
      if (req.url === '/state') return res.end(JSON.stringify({ seq: 0, stateHash: '', state: initialState }));
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(join(live, CONTROL_SOCKET), resolve));
    try {
      const r = await run(['status', '--data', live]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^daemon: +running, boot 2, pid 4242, since 2026-12-01T00:00:00.000Z$/m);
      expect(r.stdout).toMatch(/^podman: +UNREACHABLE at \/run\/podman\/podman.sock \(last tried 2026-12-02T00:00:00.000Z\)/m);
      const j = JSON.parse((await run(['status', '--json', '--data', live])).stdout) as { podman: unknown; daemon: unknown };
      expect(j.daemon).toEqual({ running: true, pid: 4242, boot: 2, since: '2026-12-01T00:00:00.000Z' });
      expect(j.podman).toEqual({ known: true, socket: '/run/podman/podman.sock', reachable: false, version: null, checkedAt: '2026-12-02T00:00:00.000Z' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
