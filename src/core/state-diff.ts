// `diff A B`: what changed between two projections — node facts and secrets, and per app its desired
// spec (field by field) and what podman ran. Secrets show as changed, never by value.
import type { ContainerSpec } from './spec-schema.js';
import { desiredApp, diffSpecs, resolveSpec } from './spec.js';
import type { State } from './state.js';

/**
 * One change, as data: `kind` says how `from` and `to` read (null: absent). A hash or a container id
 * is given whole (text shortens it); a secret is never given by value, not even by hash: 'set' or null,
 * and a change between two 'set' says its value changed.
 */
export type StateChange = { app?: string; field: string } & (
  | { kind: 'value'; from: unknown; to: unknown }
  | { kind: 'hash' | 'container'; from: string | null; to: string | null }
  | { kind: 'secret'; from: 'set' | null; to: 'set' | null }
);

export function diffStates(a: State, b: State): StateChange[] {
  const changes: StateChange[] = [];
  for (const name of union(a.facts, b.facts)) {
    if (a.facts[name]?.value !== b.facts[name]?.value) changes.push({ field: `facts.${name}`, kind: 'value', from: a.facts[name]?.value ?? null, to: b.facts[name]?.value ?? null });
  }
  for (const name of union(a.secrets, b.secrets)) {
    const [x, y] = [a.secrets[name], b.secrets[name]];
    if (x?.hash !== y?.hash) changes.push({ field: `secrets.${name}`, kind: 'secret', from: x ? 'set' : null, to: y ? 'set' : null });
  }
  for (const app of union({ ...a.apps, ...a.containers }, { ...b.apps, ...b.containers })) changes.push(...diffApp(a, b, app));
  return changes;
}

function diffApp(a: State, b: State, app: string): StateChange[] {
  const changes: StateChange[] = [];
  const push = (field: string, kind: 'value' | 'hash' | 'container', from: unknown, to: unknown) => {
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null)) changes.push({ app, field, kind, from: from ?? null, to: to ?? null } as StateChange);
  };
  push('manifest', 'hash', a.apps[app]?.manifestHash, b.apps[app]?.manifestHash);
  push('manifest.rejected', 'value', Boolean(a.apps[app]?.rejected), Boolean(b.apps[app]?.rejected));
  const [da, db] = [a, b].map((s) => {
    const config = desiredApp(s, app);
    return config ? resolveSpec(config, s) : undefined;
  });
  if (da?.ok && db?.ok) {
    for (const c of diffSpecs(da.spec, db.spec)) changes.push(specChange(app, c.field, da.spec, db.spec, c));
  } else {
    push('desired', 'hash', da?.ok ? da.hash : undefined, db?.ok ? db.hash : undefined);
    push('desired.unresolved', 'value', da !== undefined && !da.ok, db !== undefined && !db.ok);
  }
  const [ca, cb] = [a.containers[app], b.containers[app]];
  push('observed.container', 'container', ca?.id, cb?.id);
  push('observed.status', 'value', ca?.status, cb?.status);
  const checked = [a, b].some((s) => desiredApp(s, app)?.manifest?.container.health_check);
  if (checked) push('observed.health', 'value', ca?.health?.status, cb?.health?.status);
  push('observed.specHash', 'hash', ca?.specHash, cb?.specHash);
  return changes;
}

/**
 * A field of the desired spec, as data: diffSpecs words secrets and shortens file hashes for the
 * planner's reasons (recorded in the log, so left as they are); here they are read from the specs.
 */
function specChange(app: string, field: string, from: ContainerSpec, to: ContainerSpec, c: { from: unknown; to: unknown }): StateChange {
  const dot = field.indexOf('.');
  if (dot < 0) return { app, field: `desired.${field}`, kind: 'value', from: c.from, to: c.to };
  const [key, sub] = [field.slice(0, dot), field.slice(dot + 1)];
  const entry = (spec: ContainerSpec) => (spec as unknown as Record<string, Record<string, unknown> | undefined>)[key]?.[sub];
  if (key === 'secretEnv') return { app, field: `desired.${field}`, kind: 'secret', from: entry(from) ? 'set' : null, to: entry(to) ? 'set' : null };
  if (key === 'files') return { app, field: `desired.${field}`, kind: 'hash', from: (entry(from) as string | undefined) ?? null, to: (entry(to) as string | undefined) ?? null };
  return { app, field: `desired.${field}`, kind: 'value', from: c.from, to: c.to };
}

/** A change's two sides as text: hashes and ids shortened to 12, a secret as "(secret)". */
export function showChange(c: StateChange): [unknown, unknown] {
  if (c.kind === 'hash' || c.kind === 'container') return [c.from?.slice(0, 12) ?? null, c.to?.slice(0, 12) ?? null];
  if (c.kind === 'secret') return [c.from && '(secret)', c.to && (c.from ? '(secret changed)' : '(secret)')];
  return [c.from, c.to];
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
