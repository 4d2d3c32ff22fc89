// The event catalogue: every observation and decision podledger records, as `{type, v, data}`.
// Each type/version has a zod schema; the envelope adds position, time and causality.
// Events are past tense and immutable: a new shape is a new `v`, upcast when read (see `decodeEvent`).
import * as z from 'zod';
import { parseSize } from './manifest/units.js';
import { ContainerSpecSchema } from './spec-schema.js';
import { EXACT, exactCheck, exactCheckAnyOrder, type ExactCheck } from './exact-check.js';
import type { EVENT_TYPE_NAMES } from './event-types.js';

export const SOURCES = ['manifests', 'podman', 'inventory', 'host', 'secrets', 'health', 'reconciler', 'executor', 'cli'] as const;
export type Source = (typeof SOURCES)[number];

export const ReasonSchema = z.object({
  code: z.string(),
  field: z.string().optional(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  causedBy: z.number().int().positive().optional(),
  message: z.string().optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;

export const ACTION_KINDS = ['create', 'start', 'restart', 'recreate', 'rollback', 'adopt', 'remove', 'wait', 'blocked'] as const;
export const ActionSchema = z.object({
  kind: z.enum(ACTION_KINDS),
  app: z.string(),
  reasons: z.array(ReasonSchema),
  /** the spec hash the action converges to (create, recreate) */
  specHash: z.string().optional(),
  /** for `wait`: epoch ms after which the planner will act */
  until: z.number().optional(),
  /** for crash-loop waits and restarts: which restart this is since the app last ran stably */
  attempt: z.number().int().nonnegative().optional(),
});
export type Action = z.infer<typeof ActionSchema>;
export type ActionKind = Action['kind'];

export const ManifestErrorSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  col: z.number().int(),
  path: z.string(),
  message: z.string(),
});
export type ManifestError = z.infer<typeof ManifestErrorSchema>;

/** A field where what runs differs from what should: secrets show as `(secret)`, never by value. */
export const DifferenceSchema = z.object({ field: z.string(), expected: z.unknown(), actual: z.unknown() });
export type Difference = z.infer<typeof DifferenceSchema>;

export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATES)[number];

const ContainerState = z.enum(['created', 'running', 'paused', 'exited', 'stopped', 'unknown']);
export type ContainerStateName = z.infer<typeof ContainerState>;

const FactValue = z.union([z.string(), z.number()]);

/** Per event type, its versions' data schemas. The last version is the current one. */
export const EVENT_SCHEMAS = {
  BootStarted: {
    1: z.object({ version: z.string(), pid: z.number().int(), foldVersion: z.number().int(), hashVersion: z.number().int() }),
    // v2 names the node: the id of the node key the boot hashed secrets with (absent when upcast from v1)
    2: z.object({ version: z.string(), pid: z.number().int(), foldVersion: z.number().int(), hashVersion: z.number().int(), node: z.string().optional() }),
  },
  BootStopped: { 1: z.object({ reason: z.string() }) },
  ManifestObserved: {
    // v1 (podledger 0.1 development logs): tmpfs volumes wrote `options: "size=1m,mode=1777"`.
    1: z.object({ path: z.string(), hash: z.string(), manifest: z.record(z.string(), z.unknown()), templates: z.record(z.string(), z.string()).default({}), buildContextHash: z.string().optional() }),
    2: z.object({
      path: z.string(), hash: z.string(),
      /** the manifest as written (YAML as JSON); the fold interprets it with today's schema */
      manifest: z.record(z.string(), z.unknown()),
      /** template file name → its text, so files can be rendered (and hashed) offline */
      templates: z.record(z.string(), z.string()).default({}),
      /** content hash of the build context, for `build` manifests: a changed Containerfile changes the image */
      buildContextHash: z.string().optional(),
    }),
  },
  ManifestRejected: { 1: z.object({ path: z.string(), hash: z.string(), errors: z.array(ManifestErrorSchema) }) },
  ManifestRemoved: { 1: z.object({ path: z.string() }) },
  HostFactsObserved: { 1: z.object({ facts: z.record(z.string(), FactValue), changed: z.array(z.string()) }) },
  SecretObserved: { 1: z.object({ name: z.string(), hash: z.string() }) },
  SecretRemoved: { 1: z.object({ name: z.string() }) },
  ContainerObserved: {
    1: z.object({
      id: z.string(), name: z.string(), state: ContainerState, exitCode: z.number().int().optional(),
      image: z.string(), specHash: z.string().optional(), hashVersion: z.number().int().optional(),
      /** for an exited container: podman's State.OOMKilled (absent in logs written before it was recorded) */
      oomKilled: z.boolean().optional(),
    }),
  },
  ContainerStarted: { 1: z.object({ id: z.string(), name: z.string(), specHash: z.string().optional() }) },
  ContainerExited: {
    1: z.object({
      id: z.string(), name: z.string(), exitCode: z.number().int(),
      /** the kernel killed it for its memory limit, as podman reported (absent in logs written before it was recorded) */
      oomKilled: z.boolean().optional(),
    }),
  },
  ContainerRemoved: { 1: z.object({ id: z.string(), name: z.string() }) },
  HealthChanged: {
    1: z.object({
      id: z.string(), status: z.enum(HEALTH_STATES), failingStreak: z.number().int().nonnegative(),
      /** why the last probe failed (status code, connection error, exit code); never command output */
      detail: z.string().optional(),
    }),
  },
  ProbeOutcomeChanged: {
    1: z.object({
      id: z.string(),
      ok: z.boolean(),
      /**
       * what the probe saw, at most 200 characters: the address probed and the HTTP status or
       * connection error (`10.88.0.5:8080: HTTP 503`); for exec checks only the exit code
       */
      output: z.string(),
      /** how long that probe took (ms); a change of latency alone is not recorded */
      latencyMs: z.number().nonnegative(),
    }),
  },
  DriftDetected: { 1: z.object({ id: z.string(), differences: z.array(DifferenceSchema) }) },
  UnmanagedContainerObserved: {
    1: z.object({ id: z.string(), name: z.string(), image: z.string(), differences: z.array(DifferenceSchema) }),
  },
  BackoffScheduled: { 1: z.object({ attempt: z.number().int().nonnegative(), until: z.number(), delayMs: z.number() }) },
  RolledBack: {
    1: z.object({
      /** the spec that failed its health check, and the manifest it came from (held back until that changes) */
      fromSpecHash: z.string(), badManifestHash: z.string(),
      /** the last spec that was healthy */
      toSpecHash: z.string(),
    }),
  },
  ImageProgress: { 1: z.object({ image: z.string(), step: z.string() }) },
  /** something on the node weakens its safety (a secrets folder others can read); not folded */
  SecurityWarning: { 1: z.object({ code: z.string(), path: z.string(), message: z.string() }) },
  PlanDecided: {
    1: z.object({
      /** the projection the plan was made from: its last seq, and its hash */
      atSeq: z.number().int().nonnegative(),
      stateHash: z.string(),
      /** the clock the planner was given (ms), so a replay can re-plan exactly */
      plannedAt: z.number(),
      actions: z.array(ActionSchema),
      /**
       * apps with an action in flight when this was decided: the decider's third input (absent when
       * none), so a replay decides again from the same inputs
       */
      inFlight: z.array(z.string()).optional(),
      /**
       * written before `inFlight` was: the apps left out of `actions` because an action of theirs (or of
       * a dependency) was in flight; replay filters them out of the re-derived plan
       */
      deferred: z.array(z.string()).optional(),
    }),
  },
  ActionStarted: { 1: z.object({ action: ActionSchema }) },
  ActionSucceeded: {
    // v1: a spec's tmpfs volumes carried `options` instead of size/mode; newer spec fields were absent.
    1: z.object({ kind: z.enum(ACTION_KINDS), spec: z.record(z.string(), z.unknown()).optional() }).loose(),
    2: z.object({
      kind: z.enum(ACTION_KINDS), containerId: z.string().optional(), specHash: z.string().optional(),
      spec: ContainerSpecSchema.optional(), detail: z.string().optional(),
      /** podman's start time of the container's current run (ms): older events about it are stale */
      startedAt: z.number().optional(),
      /** for a crash-loop restart: which attempt it was (the backoff counts these) */
      attempt: z.number().int().nonnegative().optional(),
    }),
  },
  ActionFailed: { 1: z.object({ kind: z.enum(ACTION_KINDS), error: z.object({ code: z.string(), message: z.string() }) }) },
} as const;

/**
 * Upcasters: UPCASTERS[type][v] turns data of version v into version v + 1. A log written by an
 * older podledger is read through them, so the fold only ever sees current shapes.
 */
const UPCASTERS: { [T in EventType]?: Record<number, (data: never) => unknown> } = {
  ManifestObserved: {
    1: (data: { manifest: Record<string, unknown> }) => ({ ...data, manifest: mapTmpfs(data.manifest, ['container', 'volumes'], (size) => size) }),
  },
  ActionSucceeded: {
    // a spec holds sizes in bytes
    1: (data: { spec?: Record<string, unknown> }) => (data.spec ? { ...data, spec: mapTmpfs(data.spec, ['volumes'], (size) => { const r = parseSize(size); return r.ok ? r.value : size; }) } : data),
  },
};

/** `{type: tmpfs, options: "size=1m,mode=1777"}` → `{type: tmpfs, size, mode}` inside a document, at `path`. */
function mapTmpfs(doc: Record<string, unknown>, path: string[], size: (text: string) => unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return doc;
  const child = doc[head];
  if (rest.length > 0) return child && typeof child === 'object' ? { ...doc, [head]: mapTmpfs(child as Record<string, unknown>, rest, size) } : doc;
  if (!Array.isArray(child)) return doc;
  return {
    ...doc,
    [head]: child.map((v: Record<string, unknown>) => {
      if (v?.type !== 'tmpfs' || typeof v.options !== 'string') return v;
      const { options, ...volume } = v;
      const opts = Object.fromEntries((options as string).split(',').map((kv) => kv.split('=')));
      return { ...volume, ...(opts.size ? { size: size(opts.size) } : {}), ...(opts.mode ? { mode: opts.mode } : {}) };
    }),
  };
}

type Schemas = typeof EVENT_SCHEMAS;
export type EventType = keyof Schemas;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** event-types.ts names exactly the types of this catalogue: a type added here and not there fails to compile */
export type NamesMatchCatalogue = Holds<Same<EventType, (typeof EVENT_TYPE_NAMES)[number]>>;
type Latest<T> = T extends { 1: infer A } ? (T extends { 2: infer B } ? B : A) : never;
export type EventData<T extends EventType> = z.infer<Latest<Schemas[T]>>;

/** A domain event as its producer states it. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** What a producer hands to the log; the single writer assigns the rest of the envelope. */
export type Draft = DomainEvent & {
  source: Source;
  app?: string;
  causedBy?: number;
  correlation?: string;
};

export interface EnvelopeMeta {
  seq: number;
  id: string;
  v: number;
  /** wall-clock ms of the observation, recorded once, never re-read */
  at: number;
  boot: number;
  bootSeq: number;
  source: Source;
  app?: string;
  causedBy?: number;
  correlation?: string;
}
export type Envelope = DomainEvent & EnvelopeMeta;
export type EnvelopeOf<T extends EventType> = EventOf<T> & EnvelopeMeta;

export const CURRENT_VERSION: { [T in EventType]: number } = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS).map(([type, versions]) => [type, Math.max(...Object.keys(versions).map(Number))]),
) as { [T in EventType]: number };

const EnvelopeShape = z.object({
  seq: z.number().int().positive(),
  id: z.string().min(1),
  type: z.string(),
  v: z.number().int().positive(),
  at: z.number().int().min(0).max(8.64e15), // ms since 1970 within what a Date can hold
  boot: z.number().int().nonnegative(),
  bootSeq: z.number().int().positive(),
  source: z.enum(SOURCES),
  app: z.string().optional(),
  causedBy: z.number().int().positive().optional(),
  correlation: z.string().optional(),
  data: z.unknown(),
});

export type DecodeResult = { ok: true; event: Envelope } | { ok: false; seq: number | undefined; reason: string };

/** Validate a stored record; never throws. Unknown types and versions are errors, not skips. */
export function decodeEvent(raw: unknown): DecodeResult {
  const seqOf = (): number | undefined =>
    typeof raw === 'object' && raw !== null && typeof (raw as { seq?: unknown }).seq === 'number'
      ? (raw as { seq: number }).seq
      : undefined;
  const env = EnvelopeShape.safeParse(raw);
  if (!env.success) return { ok: false, seq: seqOf(), reason: `bad envelope: ${summarise(env.error)}` };
  const versions = (EVENT_SCHEMAS as Record<string, Record<number, z.ZodType> | undefined>)[env.data.type];
  if (!versions) return { ok: false, seq: env.data.seq, reason: `unknown event type '${env.data.type}'` };
  const schema = versions[env.data.v];
  if (!schema) return { ok: false, seq: env.data.seq, reason: `unknown version ${env.data.v} of ${env.data.type}` };
  const data = schema.safeParse(env.data.data);
  if (!data.success) return { ok: false, seq: env.data.seq, reason: `bad ${env.data.type} data: ${summarise(data.error)}` };
  const latest = CURRENT_VERSION[env.data.type as EventType];
  if (env.data.v === latest) return { ok: true, event: stripUndefined({ ...env.data, data: data.data }) as Envelope };
  // An older version: upcast step by step, then hold it to today's schema.
  let upcast: unknown = data.data;
  for (let v = env.data.v; v < latest; v++) {
    const step = UPCASTERS[env.data.type as EventType]?.[v];
    if (step) upcast = step(upcast as never);
  }
  const current = versions[latest]!.safeParse(upcast);
  if (!current.success) return { ok: false, seq: env.data.seq, reason: `${env.data.type} v${env.data.v} cannot be read as v${latest}: ${summarise(current.error)}` };
  return { ok: true, event: stripUndefined({ ...env.data, v: latest, data: current.data }) as Envelope };
}

/**
 * `decodeEvent` for a value the caller owns and will not touch again, such as one fresh from
 * `JSON.parse` (a stored record, an NDJSON line): the same result, faster. A record of the current
 * version whose envelope and data zod would return unchanged — as every record the store writes, and
 * every export line, is — is checked by the schemas' exact checks (exact-check.ts) and returned as it
 * is, without zod copying it; anything else (a damaged record, an older version to upcast, a shape
 * the checks do not cover) takes the full `decodeEvent`, with its reasons.
 */
export function decodeOwned(raw: unknown): DecodeResult {
  const event = ownedFast(raw);
  return event ? { ok: true, event } : decodeEvent(raw);
}

/**
 * `decodeOwned`'s fast path alone: the event when the exact checks vouch for `raw`, else undefined
 * (then `decodeEvent` decides, and says why). For readers of many records that want no result object.
 */
export function ownedFast(raw: unknown): Envelope | undefined {
  const order = ENVELOPE?.(raw);
  if (!order) return undefined;
  const e = raw as EnvelopeMeta & { type: string; data: unknown };
  const current = dataCheck(e.type);
  if (current?.v !== e.v || !current.check(e.data)) return undefined;
  // as the store writes them: the envelope in the schema's order, used as it is, but for its type:
  // the catalogue's own string, equal to it, for the fold's lookup by type (JSON.parse's strings are
  // not internalized, and a lookup by one first finds the internalized copy, for every event)
  if (order === EXACT) {
    e.type = current.type;
    return raw as Envelope;
  }
  // the envelope's fields in the schema's order, as zod returns them (exports stay byte-stable)
  const event: Record<string, unknown> = { seq: e.seq, id: e.id, type: current.type, v: e.v, at: e.at, boot: e.boot, bootSeq: e.bootSeq, source: e.source };
  if (e.app !== undefined) event.app = e.app;
  if (e.causedBy !== undefined) event.causedBy = e.causedBy;
  if (e.correlation !== undefined) event.correlation = e.correlation;
  event.data = e.data;
  return event as unknown as Envelope;
}

const ENVELOPE = exactCheckAnyOrder(EnvelopeShape);
/** A type's current version, the exact check of its data, and its name as the catalogue spells it. */
type DataCheck = { v: number; check: ExactCheck; type: EventType };
/** by type: its DataCheck (null where the schema is not covered), compiled on first use */
const DATA_CHECKS = new Map<string, DataCheck | null>();

function dataCheck(type: string): DataCheck | undefined {
  const hit = DATA_CHECKS.get(type);
  if (hit !== undefined) return hit ?? undefined;
  // only the catalogue's types are kept: a log's made-up ones must not grow the map
  if (!Object.hasOwn(EVENT_SCHEMAS, type)) return undefined;
  const name = Object.keys(EVENT_SCHEMAS).find((t) => t === type) as EventType; // the catalogue's string
  const v = CURRENT_VERSION[name];
  const check = exactCheck((EVENT_SCHEMAS as Record<string, Record<number, z.ZodType>>)[name]![v]!);
  const entry = check ? { v, check, type: name } : null;
  DATA_CHECKS.set(name, entry);
  return entry ?? undefined;
}

/**
 * Validate a draft's data before it is written, so nothing undecodable ever enters the log. Returns
 * the data as decoding will see it (defaults filled), so the live fold and a replay fold the same value.
 */
export function checkDraft(draft: Draft): { ok: true; data: unknown } | { ok: false; reason: string } {
  const schema = (EVENT_SCHEMAS as Record<string, Record<number, z.ZodType>>)[draft.type]?.[CURRENT_VERSION[draft.type]];
  if (!schema) return { ok: false, reason: `unknown event type '${draft.type}'` };
  const parsed = schema.safeParse(draft.data);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, reason: `bad ${draft.type} data: ${summarise(parsed.error)}` };
}

function summarise(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The object without its undefined fields: what a JSON round trip would give back. */
export function stripUndefined<T extends object>(o: T): T {
  for (const k in o) if (o[k] === undefined) return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return o; // the common case: nothing to strip, no copy
}
