// Generated event logs for fuzzing, and ways to damage them.
//
// A valid log is simulated, not sampled: random steps (a manifest appears, a secret rotates, a
// container exits, the reconciler runs...) become drafts the way the daemon would write them, each
// folded as it is appended, so plans are the planner's own, creates carry the spec resolveSpec gives,
// exits name the container that runs. Envelopes are then made like test/unit/core/builders.ts makes
// them, with data as checkDraft returns it (what the store writes).
//
// Damage works on the NDJSON text: bytes cut, flipped and inserted; lines swapped, duplicated and
// dropped; types, versions and data shapes replaced; garbage and blank lines; CRLF, BOM, no final newline.
import fc from 'fast-check';
import { checkDraft, CURRENT_VERSION, type Draft, type Envelope } from '../../../src/core/events.js';
import { eventSchemas } from '../../../src/core/event-schemas.js';
import { evolve, stateHash } from '../../../src/core/evolve.js';
import { EXECUTABLE, plan } from '../../../src/core/plan.js';
import { desiredApp, resolveSpec } from '../../../src/core/spec.js';
import { initialState, type State } from '../../../src/core/state.js';
import type { ManifestInput } from '../../../src/core/manifest/schema.js';
import { manifest, T0 } from '../core/builders.js';

const { EVENT_SCHEMAS } = eventSchemas();

export const APPS = ['alpha', 'bravo', 'charlie'] as const;
const SECRETS = ['pw', 'token'] as const;
const TEMPLATE = 'conf.tpl';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Manifest variants of app `i` (valid: builders.manifest checks them against the schema). */
function variants(i: number): { manifest: ManifestInput; templates: Record<string, string> }[] {
  const id = APPS[i]!;
  const dep = i > 0 ? APPS[i - 1]! : undefined;
  const bind = { type: 'bind' as const, source: `/srv/${id}`, target: '/data' };
  return [
    { manifest: manifest(id), templates: {} },
    { manifest: manifest(id, { image: `example/${id}:2`, restart: 'on-failure' }), templates: {} },
    { manifest: manifest(id, { derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}:80/' }] }), templates: {} },
    { manifest: manifest(id, { secret_env: [{ key: 'PASSWORD', secret_file: 'pw' }] }), templates: {} },
    {
      manifest: manifest(id, { health_check: { type: 'exec', command: ['true'], retries: 1 } }, dep ? { dependencies: [{ app: dep, condition: 'healthy', restart: true }] } : {}),
      templates: {},
    },
    {
      manifest: manifest(id, { volumes: [bind] }, { files: [{ path: `/srv/${id}/app.conf`, template: TEMPLATE }], ...(dep ? { dependencies: [dep] } : {}) }),
      templates: { [TEMPLATE]: 'host={{HOST_IP}} token={{secret:token}}\n' },
    },
    { manifest: manifest(id, { restart: 'no', volumes: [{ type: 'tmpfs', target: '/tmp', size: '1m', mode: '1777' }] }), templates: {} },
  ];
}
const VARIANTS = APPS.map((_, i) => variants(i));

type Step =
  | { k: 'manifest'; app: number; variant: number }
  | { k: 'junkManifest'; app: number; doc: { [key: string]: Json } }
  | { k: 'rejected'; app: number }
  | { k: 'manifestRemoved'; app: number }
  | { k: 'facts'; ip: number; mdns: boolean }
  | { k: 'secret'; name: number; hash: number }
  | { k: 'secretRemoved'; name: number }
  | { k: 'reconcile'; fail: boolean[]; defer: boolean }
  | { k: 'exited'; app: number; code: number; stale: boolean }
  | { k: 'started'; app: number }
  | { k: 'observed'; app: number; state: 'created' | 'running' | 'paused' | 'exited' | 'stopped' | 'unknown'; foreign: boolean }
  | { k: 'containerRemoved'; app: number }
  | { k: 'health'; app: number; status: 'starting' | 'healthy' | 'unhealthy' }
  | { k: 'drift'; app: number; gone: boolean }
  | { k: 'unmanaged'; app: number; matches: boolean }
  | { k: 'backoff'; app: number; attempt: number }
  | { k: 'rolledBack'; app: number }
  | { k: 'image'; app: number }
  | { k: 'reboot' };

const app = fc.nat(APPS.length - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('manifest' as const), app, variant: fc.nat(VARIANTS[0]!.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('junkManifest' as const), app, doc: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rejected' as const), app }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('manifestRemoved' as const), app }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('facts' as const), ip: fc.nat(3), mdns: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('secret' as const), name: fc.nat(SECRETS.length - 1), hash: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('secretRemoved' as const), name: fc.nat(SECRETS.length - 1) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('reconcile' as const), fail: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), defer: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('exited' as const), app, code: fc.constantFrom(0, 1, 137, 255), stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('started' as const), app }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('observed' as const), app, state: fc.constantFrom('created', 'running', 'paused', 'exited', 'stopped', 'unknown'), foreign: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('containerRemoved' as const), app }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('health' as const), app, status: fc.constantFrom('starting', 'healthy', 'unhealthy') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('drift' as const), app, gone: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unmanaged' as const), app, matches: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('backoff' as const), app, attempt: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rolledBack' as const), app }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('image' as const), app }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('reboot' as const) }) },
);

/** Play `steps` into a log, folding as it goes; `gaps` are the ms between steps. */
export function simulate(steps: readonly Step[], gaps: readonly number[]): Envelope[] {
  const log: Envelope[] = [];
  let state: State = initialState;
  let at = T0;
  let boot = 0;
  let bootSeq = 0;
  let runs = 0;
  let containers = 0;
  const emit = (d: Draft): Envelope => {
    const checked = checkDraft(d);
    if (!checked.ok) throw new Error(`generator bug: ${checked.reason}`);
    const seq = log.length + 1;
    bootSeq += 1;
    const { type, source, app: a, causedBy, correlation } = d;
    // The store's key order, so a line looks like an export's.
    const e = {
      seq, id: `0190${String(seq).padStart(4, '0')}-aaaa-7bbb-8ccc-${String(seq).padStart(12, '0')}`, type, v: CURRENT_VERSION[type], at, boot, bootSeq, source,
      ...(a !== undefined ? { app: a } : {}), ...(causedBy !== undefined ? { causedBy } : {}), ...(correlation !== undefined ? { correlation } : {}),
      data: checked.data,
    } as Envelope;
    state = evolve(state, e);
    log.push(e);
    return e;
  };
  const startBoot = () => {
    boot += 1;
    bootSeq = 0;
    emit({ type: 'BootStarted', source: 'reconciler', data: { version: '0.1.0', pid: 4000 + boot, foldVersion: 2, hashVersion: 2 } });
  };
  const container = (i: number) => state.containers[APPS[i]!];

  startBoot();
  steps.forEach((s, n) => {
    at += gaps[n % Math.max(1, gaps.length)] ?? 1000;
    const id = 'app' in s ? APPS[s.app]! : undefined;
    switch (s.k) {
      case 'manifest': {
        const v = VARIANTS[s.app]![s.variant]!;
        emit({ type: 'ManifestObserved', source: 'manifests', app: id!, data: { path: `apps/${id}/manifest.yml`, hash: `m-${id}-${s.variant}`, manifest: v.manifest as Record<string, unknown>, templates: v.templates } });
        return;
      }
      case 'junkManifest':
        emit({ type: 'ManifestObserved', source: 'manifests', app: id!, data: { path: `apps/${id}/manifest.yml`, hash: `junk-${id}`, manifest: s.doc, templates: {} } });
        return;
      case 'rejected':
        emit({ type: 'ManifestRejected', source: 'manifests', app: id!, data: { path: `apps/${id}/manifest.yml`, hash: `bad-${id}`, errors: [{ file: `apps/${id}/manifest.yml`, line: 3, col: 5, path: 'container.image', message: 'expected string' }] } });
        return;
      case 'manifestRemoved':
        emit({ type: 'ManifestRemoved', source: 'manifests', app: id!, data: { path: `apps/${id}/manifest.yml` } });
        return;
      case 'facts': {
        const facts = { HOST_IP: `10.0.0.${s.ip + 1}`, ...(s.mdns ? { HOST_MDNS: 'node.local' } : {}), DISK_GB: 500 };
        emit({ type: 'HostFactsObserved', source: 'host', data: { facts, changed: Object.keys(facts) } });
        return;
      }
      case 'secret':
        emit({ type: 'SecretObserved', source: 'secrets', data: { name: SECRETS[s.name]!, hash: `hmac-${SECRETS[s.name]}-${s.hash}` } });
        return;
      case 'secretRemoved':
        emit({ type: 'SecretRemoved', source: 'secrets', data: { name: SECRETS[s.name]! } });
        return;
      case 'reconcile': {
        runs += 1;
        const correlation = `run-${runs}`;
        // `defer`: as if the first app's action were still in flight from a run before (the reconciler
        // then records it as deferred, not among the actions, and does not act on it)
        const planned = plan(state, at).actions;
        const deferred = s.defer && planned.length > 0 ? [planned[0]!.app] : [];
        const actions = planned.filter((a) => !deferred.includes(a.app));
        const p = emit({ type: 'PlanDecided', source: 'reconciler', correlation, data: { atSeq: state.seq, stateHash: stateHash(state), plannedAt: at, actions, ...(deferred.length ? { deferred } : {}) } });
        actions.filter((a) => EXECUTABLE.has(a.kind)).slice(0, 3).forEach((action, i) => {
          const started = emit({ type: 'ActionStarted', source: 'executor', app: action.app, causedBy: p.seq, correlation, data: { action } });
          const fail = (message: string) =>
            emit({ type: 'ActionFailed', source: 'executor', app: action.app, causedBy: started.seq, correlation, data: { kind: action.kind, error: { code: 'podman', message } } });
          if (s.fail[i]) return void fail('boom');
          const c = state.containers[action.app];
          if (action.kind === 'remove') {
            emit({ type: 'ActionSucceeded', source: 'executor', app: action.app, causedBy: started.seq, correlation, data: { kind: 'remove', ...(c ? { containerId: c.id } : {}) } });
            if (c) emit({ type: 'ContainerRemoved', source: 'podman', app: action.app, data: { id: c.id, name: c.name } });
            return;
          }
          if (action.kind === 'start' || action.kind === 'restart') {
            emit({ type: 'ActionSucceeded', source: 'executor', app: action.app, causedBy: started.seq, correlation, data: { kind: action.kind, ...(c ? { containerId: c.id } : {}), startedAt: at, ...(action.attempt !== undefined ? { attempt: action.attempt } : {}) } });
            return;
          }
          const config = desiredApp(state, action.app);
          const r = config ? resolveSpec(config, state) : undefined;
          if (!r?.ok) return void fail('cannot resolve');
          containers += 1;
          const containerId = `c${String(containers).padStart(63, '0')}`;
          emit({ type: 'ActionSucceeded', source: 'executor', app: action.app, causedBy: started.seq, correlation, data: { kind: action.kind, containerId, specHash: r.hash, spec: r.spec, startedAt: at } });
          emit({ type: 'ContainerStarted', source: 'podman', app: action.app, data: { id: containerId, name: r.spec.name, specHash: r.hash } });
        });
        return;
      }
      case 'exited': {
        const c = container(s.app);
        emit({ type: 'ContainerExited', source: 'podman', app: id!, data: { id: s.stale || !c ? 'stale-container' : c.id, name: c?.name ?? id!, exitCode: s.code } });
        return;
      }
      case 'started': {
        const c = container(s.app);
        emit({ type: 'ContainerStarted', source: 'podman', app: id!, data: { id: c?.id ?? 'foreign', name: c?.name ?? id!, ...(c?.specHash ? { specHash: c.specHash } : {}) } });
        return;
      }
      case 'observed': {
        const c = container(s.app);
        const exit = s.state === 'exited' ? { exitCode: 1 } : {};
        emit({ type: 'ContainerObserved', source: 'inventory', app: id!, data: { id: s.foreign || !c ? `found-${id}` : c.id, name: c?.name ?? id!, state: s.state, image: c?.image ?? 'example/x:1', ...exit, ...(c?.specHash ? { specHash: c.specHash, hashVersion: 2 } : {}) } });
        return;
      }
      case 'containerRemoved': {
        const c = container(s.app);
        emit({ type: 'ContainerRemoved', source: 'podman', app: id!, data: { id: c?.id ?? 'gone', name: c?.name ?? id! } });
        return;
      }
      case 'health': {
        const c = container(s.app);
        emit({ type: 'HealthChanged', source: 'health', app: id!, data: { id: c?.id ?? 'none', status: s.status, failingStreak: s.status === 'unhealthy' ? 3 : 0, ...(s.status === 'unhealthy' ? { detail: 'exit code 1' } : {}) } });
        return;
      }
      case 'drift': {
        const c = container(s.app);
        emit({ type: 'DriftDetected', source: 'inventory', app: id!, data: { id: c?.id ?? 'none', differences: s.gone ? [] : [{ field: 'env.URL', expected: 'http://10.0.0.1:80/', actual: 'http://10.0.0.9:80/' }] } });
        return;
      }
      case 'unmanaged':
        emit({ type: 'UnmanagedContainerObserved', source: 'inventory', app: id!, data: { id: `hand-${id}`, name: id!, image: 'example/x:1', differences: s.matches ? [] : [{ field: 'image', expected: `example/${id}:1`, actual: 'example/x:1' }] } });
        return;
      case 'backoff': {
        const delayMs = Math.min(1000 * 2 ** s.attempt, 300_000);
        emit({ type: 'BackoffScheduled', source: 'reconciler', app: id!, data: { attempt: s.attempt, until: at + delayMs, delayMs } });
        return;
      }
      case 'rolledBack': {
        const c = container(s.app);
        const good = state.lastGood[id!];
        emit({ type: 'RolledBack', source: 'reconciler', app: id!, data: { fromSpecHash: c?.specHash ?? 'none', badManifestHash: state.apps[id!]?.manifestHash ?? 'none', toSpecHash: good?.specHash ?? 'none' } });
        return;
      }
      case 'image':
        emit({ type: 'ImageProgress', source: 'executor', app: id!, data: { image: `example/${id}:1`, step: 'STEP 1/3: FROM scratch' } });
        return;
      case 'reboot':
        emit({ type: 'BootStopped', source: 'reconciler', data: { reason: 'SIGTERM' } });
        startBoot();
        return;
    }
  });
  return log;
}

/** A valid log of up to `maxSteps` steps (more events: a reconcile writes several). */
export const validLog = (maxSteps = 40): fc.Arbitrary<Envelope[]> =>
  fc.tuple(fc.array(step, { maxLength: maxSteps, size: 'max' }), fc.array(fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 5_000, max: 900_000 })), { minLength: 1, maxLength: 8 }))
    .map(([steps, gaps]) => simulate(steps, gaps));

/** Types whose older versions are still read (upcast); a current record is also valid as v1 of these. */
const OLD_READABLE = Object.entries(EVENT_SCHEMAS).filter(([, v]) => Object.keys(v).length > 1).map(([t]) => t);

/** The NDJSON lines of a log, some records written as an older version that upcasts to the same data. */
export const validLines = (maxSteps = 40): fc.Arbitrary<string[]> =>
  fc.tuple(validLog(maxSteps), fc.array(fc.boolean(), { maxLength: 200 })).map(([log, old]) =>
    log.map((e, i) => JSON.stringify(old[i] && OLD_READABLE.includes(e.type) ? { ...e, v: 1 } : e)));

// ---------------------------------------------------------------------------------------------
// Damage

const ENVELOPE_KEYS = ['seq', 'id', 'type', 'v', 'at', 'boot', 'bootSeq', 'source', 'app', 'causedBy', 'correlation', 'data', '__proto__', 'extra'];
/** Values that are valid JSON but wrong, or right in type and extreme in value. */
const odd: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, '', '!', 'a!b', ' ', '\u0000', '\u2028', 'ActionSucceeded', 0, -0, -1, 1.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 1e17, -1e17, 8.64e15 + 1, 1e308, [], {}, [1], { data: null }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** Numbers of the right type that are out of every sensible range (times past year 275760, 2^53, negative counts). */
const extreme: fc.Arbitrary<Json> = fc.constantFrom<Json>(1e17, -1e17, 8.64e15 + 1, -8.64e15 - 1, 2 ** 53, 1e308, -1, 0, 1.5, 4294967296);
/** A replacement for a field: often a number out of range, else anything odd. */
const fieldValue = fc.option(fc.oneof(extreme, odd), { nil: undefined, freq: 8 });

export type Damage =
  | { k: 'truncate'; line: number; at: number }
  | { k: 'flip'; line: number; at: number; bit: number }
  | { k: 'insert'; line: number; at: number; bytes: number[] }
  | { k: 'swap'; a: number; b: number }
  | { k: 'duplicate'; line: number; to: number }
  | { k: 'drop'; line: number }
  | { k: 'type'; line: number; type: string }
  | { k: 'version'; line: number; v: Json }
  | { k: 'data'; line: number; data: Json }
  | { k: 'envelopeField'; line: number; key: number; value: Json | undefined }
  | { k: 'dataField'; line: number; key: number; value: Json | undefined }
  | { k: 'garbage'; line: number; bytes: number[] }
  | { k: 'blank'; line: number; text: string };

const pos = fc.nat();
const byte = fc.integer({ min: 0, max: 255 });
export const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ k: fc.constant('truncate' as const), line: pos, at: pos }),
  fc.record({ k: fc.constant('flip' as const), line: pos, at: pos, bit: fc.nat(7) }),
  fc.record({ k: fc.constant('insert' as const), line: pos, at: pos, bytes: fc.array(byte, { minLength: 1, maxLength: 4 }) }),
  fc.record({ k: fc.constant('swap' as const), a: pos, b: pos }),
  fc.record({ k: fc.constant('duplicate' as const), line: pos, to: pos }),
  fc.record({ k: fc.constant('drop' as const), line: pos }),
  fc.record({ k: fc.constant('type' as const), line: pos, type: fc.oneof(fc.constantFrom('ContainerExploded', 'boot_started', 'toString', '__proto__', 'constructor', ''), fc.string({ maxLength: 10 })) }),
  fc.record({ k: fc.constant('version' as const), line: pos, v: fc.oneof(fc.constantFrom<Json>(0, -1, 1.5, 3, 99, '2', null), fc.integer()) }),
  fc.record({ k: fc.constant('data' as const), line: pos, data: odd }),
  { weight: 3, arbitrary: fc.record({ k: fc.constant('envelopeField' as const), line: pos, key: pos, value: fieldValue }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('dataField' as const), line: pos, key: pos, value: fieldValue }) },
  fc.record({ k: fc.constant('garbage' as const), line: pos, bytes: fc.array(byte, { minLength: 1, maxLength: 40 }) }),
  fc.record({ k: fc.constant('blank' as const), line: pos, text: fc.constantFrom('', ' ', '\t', '  \t ') }),
);

/** How the lines are joined into a file. */
export type Framing = { crlf: boolean; finalNewline: boolean; bom: boolean };
export const framing: fc.Arbitrary<Framing> = fc.record({ crlf: fc.boolean(), finalNewline: fc.boolean(), bom: fc.boolean() });

const at = <T>(xs: readonly T[], i: number): number => i % xs.length;

/** Edit the JSON of line `i`; a line that is not a JSON object is left as it is. */
function editJson(lines: Buffer[], i: number, edit: (o: Record<string, unknown>) => void): void {
  let o: unknown;
  try {
    o = JSON.parse(lines[i]!.toString('utf8'));
  } catch {
    return;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return;
  edit(o as Record<string, unknown>);
  lines[i] = Buffer.from(JSON.stringify(o));
}

function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete o[key];
  else Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true }); // '__proto__' as an own key
}

/** Apply the damages in order to the lines (as bytes). */
export function damageLines(original: readonly string[], damages: readonly Damage[]): Buffer[] {
  const lines = original.map((l) => Buffer.from(l, 'utf8'));
  for (const d of damages) {
    if (lines.length === 0) {
      if (d.k === 'garbage') lines.push(Buffer.from(d.bytes));
      if (d.k === 'blank') lines.push(Buffer.from(d.text));
      continue;
    }
    switch (d.k) {
      case 'truncate': {
        const l = lines[at(lines, d.line)]!;
        lines[at(lines, d.line)] = l.subarray(0, d.at % (l.length + 1));
        break;
      }
      case 'flip': {
        const i = at(lines, d.line);
        const l = Buffer.from(lines[i]!);
        if (l.length > 0) l[d.at % l.length] = l[d.at % l.length]! ^ (1 << d.bit);
        lines[i] = l;
        break;
      }
      case 'insert': {
        const i = at(lines, d.line);
        const l = lines[i]!;
        const p = d.at % (l.length + 1);
        lines[i] = Buffer.concat([l.subarray(0, p), Buffer.from(d.bytes), l.subarray(p)]);
        break;
      }
      case 'swap': {
        const a = at(lines, d.a);
        const b = at(lines, d.b);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        break;
      }
      case 'duplicate':
        lines.splice(d.to % (lines.length + 1), 0, lines[at(lines, d.line)]!);
        break;
      case 'drop':
        lines.splice(at(lines, d.line), 1);
        break;
      case 'type':
        editJson(lines, at(lines, d.line), (o) => void (o.type = d.type));
        break;
      case 'version':
        editJson(lines, at(lines, d.line), (o) => void (o.v = d.v));
        break;
      case 'data':
        editJson(lines, at(lines, d.line), (o) => void (o.data = d.data));
        break;
      case 'envelopeField':
        editJson(lines, at(lines, d.line), (o) => setKey(o, ENVELOPE_KEYS[d.key % ENVELOPE_KEYS.length]!, d.value));
        break;
      case 'dataField':
        editJson(lines, at(lines, d.line), (o) => {
          if (typeof o.data !== 'object' || o.data === null || Array.isArray(o.data)) return;
          const keys = [...Object.keys(o.data), 'extra'];
          setKey(o.data as Record<string, unknown>, keys[d.key % keys.length]!, d.value);
        });
        break;
      case 'garbage':
        lines.splice(d.line % (lines.length + 1), 0, Buffer.from(d.bytes));
        break;
      case 'blank':
        lines.splice(d.line % (lines.length + 1), 0, Buffer.from(d.text));
        break;
    }
  }
  return lines;
}

/** The file: lines joined by LF or CRLF, optionally with a final line break and a UTF-8 BOM. */
export function fileBytes(lines: readonly Buffer[], f: Framing): Buffer {
  const eol = Buffer.from(f.crlf ? '\r\n' : '\n');
  const parts: Buffer[] = f.bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  lines.forEach((l, i) => {
    parts.push(l);
    if (i < lines.length - 1 || f.finalNewline) parts.push(eol);
  });
  return Buffer.concat(parts);
}

/** The lines a reader sees in `bytes`, as node's readline splits them (LF, CR, CRLF; no line after a final break). */
export function linesOf(bytes: Buffer): string[] {
  const lines = bytes.toString('utf8').split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A damaged log: the original lines, and the file made of them after damage. */
export const damagedLog = (maxSteps = 30, maxDamages = 6) =>
  fc.record({ original: validLines(maxSteps), damages: fc.array(damage, { maxLength: maxDamages }), framing }).map((r) => {
    const bytes = fileBytes(damageLines(r.original, r.damages), r.framing);
    return { ...r, bytes };
  });
