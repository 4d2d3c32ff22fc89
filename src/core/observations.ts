// What observers append: the difference between what they read and what the projection already
// believes. Nothing is appended when nothing changed, so an idle node's log does not grow.
import type { ContainerStateName, Difference, Draft, ManifestError } from './events.js';
import type { HostFacts } from './facts.js';
import { hashOf } from './hash.js';
import type { State } from './state.js';

export type ManifestReading =
  | { ok: true; path: string; hash: string; manifest: Record<string, unknown>; templates: Record<string, string>; buildContextHash?: string }
  | { ok: false; path: string; hash: string; errors: ManifestError[] };

/** Names of lower-case letters, digits and dashes (every valid app id): their collation order is their code units' order. */
const PLAIN_NAME = /^[a-z0-9-]*$/;

/**
 * `a.localeCompare(b)`, the order observations have always been recorded in, without the collator
 * for plain names: its first use sets ICU's collation up, ~13 ms at the daemon's first manifests
 * reading. In the collation (CLDR root) dashes sort before digits and digits before letters, as
 * their code units do, so the two orders agree on these names.
 */
export function compareNames(a: string, b: string): number {
  if (PLAIN_NAME.test(a) && PLAIN_NAME.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return a.localeCompare(b);
}

export function manifestDrafts(state: State, readings: ReadonlyMap<string, ManifestReading>): Draft[] {
  const drafts: Draft[] = [];
  for (const [app, r] of [...readings].sort(([a], [b]) => compareNames(a, b))) {
    const known = state.apps[app];
    if (r.ok) {
      const same = known && !known.rejected && known.manifestHash === r.hash && known.buildContextHash === r.buildContextHash
        && hashOf(known.templates) === hashOf(r.templates);
      if (same) continue;
      const { ok: _ok, ...data } = r;
      drafts.push({ type: 'ManifestObserved', source: 'manifests', app, data });
    } else {
      if (known?.rejected && hashOf(known.rejected.errors) === hashOf(r.errors)) continue;
      drafts.push({ type: 'ManifestRejected', source: 'manifests', app, data: { path: r.path, hash: r.hash, errors: r.errors } });
    }
  }
  for (const app of Object.keys(state.apps).sort()) {
    if (!readings.has(app)) drafts.push({ type: 'ManifestRemoved', source: 'manifests', app, data: { path: state.apps[app]?.path ?? app } });
  }
  return drafts;
}

export function factsDraft(state: State, facts: HostFacts): Draft[] {
  const names = [...new Set([...Object.keys(state.facts), ...Object.keys(facts)])].sort();
  const changed = names.filter((n) => state.facts[n]?.value !== (facts as Record<string, unknown>)[n]);
  if (changed.length === 0) return [];
  const present = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  return [{ type: 'HostFactsObserved', source: 'host', data: { facts: present, changed } }];
}

/** `hashes`: secret file name → keyed hash (HMAC) of its content. */
export function secretDrafts(state: State, hashes: ReadonlyMap<string, string>): Draft[] {
  const drafts: Draft[] = [];
  for (const [name, hash] of [...hashes].sort(([a], [b]) => compareNames(a, b))) {
    if (state.secrets[name]?.hash !== hash) drafts.push({ type: 'SecretObserved', source: 'secrets', data: { name, hash } });
  }
  for (const name of Object.keys(state.secrets).sort()) {
    if (!hashes.has(name)) drafts.push({ type: 'SecretRemoved', source: 'secrets', data: { name } });
  }
  return drafts;
}

export interface ObservedContainer {
  app: string;
  id: string;
  name: string;
  state: ContainerStateName;
  exitCode?: number;
  image: string;
  specHash?: string;
  hashVersion?: number;
  /** for an exited container: podman's State.OOMKilled */
  oomKilled?: boolean;
}

/** A full inventory of labelled containers against the projection: only the differences. */
export function inventoryDrafts(state: State, observed: readonly ObservedContainer[]): Draft[] {
  const drafts: Draft[] = [];
  const byApp = new Map<string, ObservedContainer>();
  for (const c of observed) {
    // Several containers claiming one app (e.g. a crash mid-recreate): prefer the one we know, then a running one.
    const prev = byApp.get(c.app);
    const known = state.containers[c.app]?.id;
    if (!prev || (prev.id !== known && (c.id === known || (c.state === 'running' && prev.state !== 'running')))) byApp.set(c.app, c);
  }
  // Compared in any order, the (usually no) drafts sorted after: a resync that finds nothing new
  // copies and sorts nothing.
  for (const [app, c] of byApp) {
    const k = state.containers[app];
    const exit = c.state === 'exited' ? c.exitCode : undefined;
    const oom = c.state === 'exited' ? c.oomKilled : undefined;
    // An OOM kill the event stream missed (it was away) is news; a log that never recorded one reads as "no".
    const same = k && k.id === c.id && k.status === c.state && k.specHash === c.specHash
      && (c.state !== 'exited' || (k.exitCode === exit && (k.oomKilled ?? false) === (oom ?? false)));
    if (same) continue;
    const { app: _app, exitCode: _exit, oomKilled: _oom, ...rest } = c;
    drafts.push({
      type: 'ContainerObserved', source: 'inventory', app,
      data: { ...rest, ...(exit !== undefined ? { exitCode: exit } : {}), ...(oom !== undefined ? { oomKilled: oom } : {}) },
    });
  }
  const byName = (a: Draft, b: Draft) => compareNames(a.app!, b.app!);
  drafts.sort(byName);
  const removed: Draft[] = [];
  for (const app in state.containers) {
    const k = state.containers[app]!;
    if (!byApp.has(app)) removed.push({ type: 'ContainerRemoved', source: 'inventory', app, data: { id: k.id, name: k.name } });
  }
  return removed.length > 0 ? [...drafts, ...removed.sort(byName)] : drafts;
}

/** Containers made elsewhere under an app's name: recorded when new or when what differs changes. */
export function unmanagedDrafts(state: State, found: readonly { app: string; id: string; name: string; image: string; differences: Difference[] }[]): Draft[] {
  const drafts: Draft[] = [];
  const seen = new Set(found.map((f) => f.app));
  for (const f of found) {
    const known = state.unmanaged[f.app];
    if (known && known.id === f.id && hashOf(known.differences) === hashOf(f.differences)) continue;
    drafts.push({ type: 'UnmanagedContainerObserved', source: 'inventory', app: f.app, data: { id: f.id, name: f.name, image: f.image, differences: f.differences } });
  }
  for (const [app, u] of Object.entries(state.unmanaged).sort(([a], [b]) => compareNames(a, b))) {
    if (!seen.has(app)) drafts.push({ type: 'ContainerRemoved', source: 'inventory', app, data: { id: u.id, name: u.name } });
  }
  return drafts;
}

/** Drift of a managed container from the spec it was made from: recorded when it appears, changes or goes. */
export function driftDrafts(state: State, found: readonly { app: string; id: string; differences: Difference[] }[]): Draft[] {
  return found.flatMap((f): Draft[] => {
    const c = state.containers[f.app];
    // A container new to the projection (observed in the same reading) has no drift recorded yet.
    const recorded = c?.id === f.id ? (c.drift?.differences ?? []) : [];
    if (hashOf(recorded) === hashOf(f.differences)) return [];
    return [{ type: 'DriftDetected', source: 'inventory', app: f.app, data: { id: f.id, differences: f.differences } }];
  });
}

/** What one reading of podman found: its containers, the unlabelled ones named as apps, and drift. */
export interface InventoryReading {
  managed: readonly ObservedContainer[];
  unmanaged: readonly { app: string; id: string; name: string; image: string; differences: Difference[] }[];
  drift: readonly { app: string; id: string; differences: Difference[] }[];
}

/**
 * A reading takes a while, and other observers append meanwhile (a death from its exit file). What it
 * saw is news only if it is news both to `before`, what was believed when it began (so a reading older
 * than an event appended since cannot undo it), and to `now` (so a death already recorded is not
 * recorded twice).
 */
export function inventoryNews(before: State, now: State, found: InventoryReading): Draft[] {
  const news = (s: State) => [...inventoryDrafts(s, found.managed), ...unmanagedDrafts(s, found.unmanaged), ...driftDrafts(s, found.drift)];
  const stillNews = new Set(news(now).map(draftKey));
  return news(before).filter((d) => stillNews.has(draftKey(d)));
}
const draftKey = (d: Draft) => JSON.stringify([d.type, d.app, d.data]);

/** `at`: when podman says it happened (ms); the stream can lag behind what we already saw. */
export type PodmanEvent =
  | { action: 'start'; app: string; id: string; name: string; at?: number; specHash?: string }
  | { action: 'died'; app: string; id: string; name: string; at?: number; exitCode: number; oomKilled?: boolean }
  | { action: 'remove'; app: string; id: string; name: string; at?: number };

/** A podman event, if it tells the projection something new. */
export function podmanEventDrafts(state: State, e: PodmanEvent): Draft[] {
  const k = state.containers[e.app];
  // The stream lags: a start older than an exit we already saw, or an exit from before the current
  // run began (podman's own start time, recorded by the action that started it), is stale.
  if (k?.id === e.id && e.at !== undefined) {
    if (e.action === 'start' && k.status !== 'running' && e.at <= k.statusAt) return [];
    if (e.action === 'died' && k.startedAt !== undefined && e.at < k.startedAt) return [];
  }
  switch (e.action) {
    case 'start':
      if (k?.id === e.id && k.status === 'running') return [];
      return [{ type: 'ContainerStarted', source: 'podman', app: e.app, data: { id: e.id, name: e.name, ...(e.specHash ? { specHash: e.specHash } : {}) } }];
    case 'died':
      if (k?.id !== e.id || k.status === 'exited') return [];
      return [{ type: 'ContainerExited', source: 'podman', app: e.app, data: { id: e.id, name: e.name, exitCode: e.exitCode, ...(e.oomKilled !== undefined ? { oomKilled: e.oomKilled } : {}) } }];
    case 'remove':
      if (k?.id !== e.id) return [];
      return [{ type: 'ContainerRemoved', source: 'podman', app: e.app, data: { id: e.id, name: e.name } }];
  }
}
