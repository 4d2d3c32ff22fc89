// `podledger status [APP]`: the node's health — the daemon (asked over its control socket), podman
// (as the daemon last found it), the log — then every app, or one app in depth. The same as data
// with --json. Without a daemon it says so and shows what the log says; it never needs podman.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Envelope } from '../core/events.js';
import { fold } from '../core/evolve.js';
import { describeApp, knownApps, type AppDetail } from '../core/describe.js';
import { plan } from '../core/plan.js';
import { initialState, type State } from '../core/state.js';
import { appViews } from '../core/views.js';
import { explain, whyData, type WhyEntry } from '../core/why.js';
import { controlGetJson, controlSocketPath, type DaemonAbout } from '../daemon/control.js';
import { whyEvents } from '../log/why.js';
import { InvalidInputError } from './errors.js';
import type { Common } from './commands.js';
import { json, out } from './output.js';
import { loadLog, undecodable } from './load-log.js';
import { daemonState, NoLogError, openLog } from './source.js';
import { renderDetail, renderNode, renderViews } from './status-render.js';

/** What the running daemon says of itself (`/daemon`); older daemons leave out `startedAt` and `podman`. */
type About = { pid: number; seq: number; boot: number } & Partial<DaemonAbout>;

export interface NodeReport {
  /** null: `--log` reads a captured log, no daemon is asked */
  daemon: { running: true; pid: number; boot: number; since: string | null } | { running: false } | null;
  /** known: the daemon said; otherwise why it is not known */
  podman: { known: true; socket: string; reachable: boolean; version: string | null; checkedAt: string | null } | { known: false; why: string } | null;
  log: { source: string; seq: number; boot: number };
}

export async function status(o: Common, app?: string): Promise<void> {
  if (!o.log && !existsSync(o.data)) throw new NoLogError(o.data); // no node here: not an empty one
  const { node, state } = await readNode(o);
  const actions = plan(state, Date.now()).actions;
  if (app === undefined) {
    const views = appViews(state, actions);
    if (o.json) return json({ ...node, seq: state.seq, boot: state.boot, apps: views.map(({ spec: _spec, ...v }) => v) });
    out(renderNode(node));
    if (views.length > 0) out(renderViews(views));
    return;
  }
  const known = knownApps(state);
  if (!known.includes(app)) {
    throw new InvalidInputError(`status: ${app}: no such app in the log (as of #${state.seq}); ${known.length > 0 ? `known apps: ${known.join(', ')}` : 'the log knows no apps yet'}; pass one of them`);
  }
  const { failingStreak, why } = await fromLog(o, state, app);
  const detail = describeApp(state, app, actions, failingStreak);
  if (o.json) return json({ ...node, app: detail, why: why && whyData(why) });
  out(renderNode(node));
  out(renderDetail(detail, why));
}

/** The daemon's own word when one answers, else the log folded here; the state either way. */
async function readNode(o: Common): Promise<{ node: NodeReport; state: State }> {
  if (o.log) {
    const state = await foldLog(o);
    return { node: { daemon: null, podman: null, log: { source: o.log, seq: state.seq, boot: state.boot } }, state };
  }
  const about = await askDaemon(o.data);
  const live = about ? await daemonState(o.data) : undefined;
  // A fresh node has no log yet: nothing believed, nothing to fold.
  const state = live?.state ?? (existsSync(path.join(o.data, 'CURRENT')) ? await foldLog(o) : initialState);
  if (!about) return { state, node: { daemon: { running: false }, podman: { known: false, why: 'daemon not running' }, log: { source: o.data, seq: state.seq, boot: state.boot } } };
  const podman = about.podman;
  const since = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : null);
  return {
    state,
    node: {
      daemon: { running: true, pid: about.pid, boot: about.boot, since: since(about.startedAt) },
      podman: podman
        ? { known: true, socket: podman.socket, reachable: podman.reachable, version: podman.version ?? null, checkedAt: since(podman.checkedAt) }
        : { known: false, why: 'the daemon does not say (an older podledger)' },
      log: { source: `daemon at ${controlSocketPath(o.data)}`, seq: Math.max(about.seq, state.seq), boot: about.boot },
    },
  };
}

async function askDaemon(data: string): Promise<About | undefined> {
  const socket = controlSocketPath(data);
  if (!existsSync(socket)) return undefined;
  try {
    const about = await controlGetJson<About>(socket, '/daemon', { timeoutMs: 2_000 });
    return typeof about.pid === 'number' ? about : undefined;
  } catch {
    return undefined; // a socket left by a daemon that is gone: nobody answers
  }
}

async function foldLog(o: Common): Promise<State> {
  const { events, base } = await loadLog(o);
  return fold(events.filter((e) => e.seq > base.seq), base);
}

/**
 * What the state does not keep: the failing streak behind the app's health verdict (its
 * `HealthChanged`), and the app's last `why` entry. Read by index; a log that cannot be read for them
 * leaves them out rather than failing `status`.
 */
async function fromLog(o: Common, state: State, app: string): Promise<{ failingStreak?: number; why: WhyEntry | null }> {
  if (!o.log && !existsSync(path.join(o.data, 'CURRENT'))) return { why: null };
  const bad = undecodable(o);
  let source: Awaited<ReturnType<typeof openLog>> | undefined;
  try {
    source = await openLog({ data: o.data, ...(o.log ? { log: o.log } : {}), notice: () => {} });
    const healthSeq = state.containers[app]?.health?.seq;
    const [item] = healthSeq ? await source.lookup.getMany([healthSeq]) : [];
    const verdict: Envelope | undefined = item?.ok ? item.event : undefined;
    const entries = explain((await whyEvents(source.lookup, app, { all: false, onCorrupt: bad.note })).events, app);
    return { ...(verdict?.type === 'HealthChanged' ? { failingStreak: verdict.data.failingStreak } : {}), why: entries.at(-1) ?? null };
  } catch {
    return { why: null };
  } finally {
    await source?.close();
  }
}

/** A why entry as `status --json` gives times: ISO strings, like every other time it prints. */

export type { AppDetail };
