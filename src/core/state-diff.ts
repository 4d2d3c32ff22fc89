// `diff A B`: what changed between two projections — node facts and secrets, and per app its desired
// spec (field by field) and what podman ran. Secrets show as changed, never by value.
import { desiredApp, diffSpecs, resolveSpec } from './spec.js';
import type { State } from './state.js';

export interface StateChange {
  app?: string;
  field: string;
  from: unknown;
  to: unknown;
}

export function diffStates(a: State, b: State): StateChange[] {
  const changes: StateChange[] = [];
  for (const name of union(a.facts, b.facts)) {
    if (a.facts[name]?.value !== b.facts[name]?.value) changes.push({ field: `facts.${name}`, from: a.facts[name]?.value ?? null, to: b.facts[name]?.value ?? null });
  }
  for (const name of union(a.secrets, b.secrets)) {
    const [x, y] = [a.secrets[name], b.secrets[name]];
    if (x?.hash !== y?.hash) changes.push({ field: `secrets.${name}`, from: x ? '(secret)' : null, to: y ? (x ? '(secret changed)' : '(secret)') : null });
  }
  for (const app of union({ ...a.apps, ...a.containers }, { ...b.apps, ...b.containers })) changes.push(...diffApp(a, b, app));
  return changes;
}

function diffApp(a: State, b: State, app: string): StateChange[] {
  const changes: StateChange[] = [];
  const push = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null)) changes.push({ app, field, from: from ?? null, to: to ?? null });
  };
  push('manifest', a.apps[app]?.manifestHash?.slice(0, 12), b.apps[app]?.manifestHash?.slice(0, 12));
  push('manifest.rejected', Boolean(a.apps[app]?.rejected), Boolean(b.apps[app]?.rejected));
  const [da, db] = [a, b].map((s) => {
    const config = desiredApp(s, app);
    return config ? resolveSpec(config, s) : undefined;
  });
  if (da?.ok && db?.ok) {
    for (const c of diffSpecs(da.spec, db.spec)) changes.push({ app, field: `desired.${c.field}`, from: c.from, to: c.to });
  } else {
    push('desired', da?.ok ? da.hash.slice(0, 12) : da ? 'unresolved' : undefined, db?.ok ? db.hash.slice(0, 12) : db ? 'unresolved' : undefined);
  }
  const [ca, cb] = [a.containers[app], b.containers[app]];
  push('observed.container', ca?.id.slice(0, 12), cb?.id.slice(0, 12));
  push('observed.status', ca?.status, cb?.status);
  const checked = [a, b].some((s) => desiredApp(s, app)?.manifest?.container.health_check);
  if (checked) push('observed.health', ca?.health?.status, cb?.health?.status);
  push('observed.specHash', ca?.specHash?.slice(0, 12), cb?.specHash?.slice(0, 12));
  return changes;
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
