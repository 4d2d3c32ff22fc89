// The event catalogue: every observation and decision podledger records, as `{type, v, data}`.
// Each type/version has a zod schema; the envelope adds position, time and causality.
// Events are past tense and immutable: a new shape is a new `v`, upcast when read (see `decodeEvent`).
import type * as z from 'zod';
import { parseSize } from './manifest/units.js';
import { eventSchemas } from './event-schemas.js';
import { compileExactCheck, EXACT, type ExactCheck, type OrderCheck } from './exact-check.js';
import { DATA_CHECKS as GENERATED_CHECKS, ENVELOPE_CHECK } from './exact-checks.generated.js';
import { ACTION_KINDS, EVENT_TYPE_NAMES, HEALTH_STATES, SOURCES } from './event-types.js';

export { ACTION_KINDS, HEALTH_STATES, SOURCES };
export type Source = (typeof SOURCES)[number];

type Built = ReturnType<typeof eventSchemas>;
export type Reason = z.infer<Built['ReasonSchema']>;
export type Action = z.infer<Built['ActionSchema']>;
export type ActionKind = Action['kind'];
export type ManifestError = z.infer<Built['ManifestErrorSchema']>;
/** A field where what runs differs from what should: secrets show as `(secret)`, never by value. */
export type Difference = z.infer<Built['DifferenceSchema']>;
export type HealthStatus = (typeof HEALTH_STATES)[number];
export type ContainerStateName = z.infer<Built['ContainerState']>;

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

type Schemas = Built['EVENT_SCHEMAS'];
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
  /**
   * Caused by the draft at this index of the same append call (an earlier one), whose seq is only
   * known once the call is written: so a plan and the starts it causes take one durable write.
   */
  causedByDraft?: number;
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

/** A type's current version: its schemas' last (the compiler holds this table to them). */
type LatestVersion<T> = T extends { 2: unknown } ? 2 : 1;
export const CURRENT_VERSION = {
  BootStarted: 2, BootStopped: 1, ManifestObserved: 2, ManifestRejected: 1, ManifestRemoved: 1, HostFactsObserved: 1,
  SecretObserved: 1, SecretRemoved: 1, ContainerObserved: 1, ContainerStarted: 1, ContainerExited: 1, ContainerRemoved: 1,
  HealthChanged: 1, ProbeOutcomeChanged: 1, DriftDetected: 1, UnmanagedContainerObserved: 1, BackoffScheduled: 1,
  RolledBack: 1, ImageProgress: 1, SecurityWarning: 1, PlanDecided: 1, ActionStarted: 1, ActionSucceeded: 2, ActionFailed: 1,
} as const satisfies { [T in EventType]: LatestVersion<Schemas[T]> } as { readonly [T in EventType]: number };

export type DecodeResult = { ok: true; event: Envelope } | { ok: false; seq: number | undefined; reason: string };

/** Validate a stored record; never throws. Unknown types and versions are errors, not skips. */
export function decodeEvent(raw: unknown): DecodeResult {
  const seqOf = (): number | undefined =>
    typeof raw === 'object' && raw !== null && typeof (raw as { seq?: unknown }).seq === 'number'
      ? (raw as { seq: number }).seq
      : undefined;
  const { EnvelopeShape, EVENT_SCHEMAS } = eventSchemas();
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
  const order = (envelope ??= ENVELOPE_CHECK === null ? () => 0 : compileExactCheck<OrderCheck>(ENVELOPE_CHECK))(raw);
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

/** The envelope's exact check (`exactCheckAnyOrder` of the envelope schema), compiled on first use */
let envelope: OrderCheck | undefined;
/** A type's current version, the exact check of its data, and its name as the catalogue spells it. */
type DataCheck = { v: number; check: ExactCheck; type: EventType };
/** by type: its DataCheck (null where the schema is not covered), compiled on first use */
const DATA_CHECKS = new Map<string, DataCheck | null>();

function dataCheck(type: string): DataCheck | undefined {
  const hit = DATA_CHECKS.get(type);
  if (hit !== undefined) return hit ?? undefined;
  // only the catalogue's types are kept: a log's made-up ones must not grow the map
  if (!Object.hasOwn(GENERATED_CHECKS, type)) return undefined;
  const name = EVENT_TYPE_NAMES.find((t) => t === type)!; // the catalogue's string
  const source = GENERATED_CHECKS[name];
  const entry = source ? { v: CURRENT_VERSION[name], check: compileExactCheck<ExactCheck>(source), type: name } : null;
  DATA_CHECKS.set(name, entry);
  return entry ?? undefined;
}

/**
 * Validate a draft's data before it is written, so nothing undecodable ever enters the log. Returns
 * the data as decoding will see it (defaults filled), so the live fold and a replay fold the same value.
 */
export function checkDraft(draft: Draft): { ok: true; data: unknown } | { ok: false; reason: string } {
  // Our own drafts are of the schema's exact shape: the exact check vouches without zod (whose schemas
  // are then never built on the daemon's append path). A JSON copy, not the caller's object: it is
  // what decoding will read back, and the caller may keep using its own.
  if (Object.hasOwn(CURRENT_VERSION, draft.type) && dataCheck(draft.type)?.check(draft.data)) {
    const json = storable(draft.data);
    return typeof json === 'string' ? { ok: true, data: JSON.parse(json) as unknown } : json;
  }
  return checkDraftPlain(draft);
}

/** `checkDraft` by zod alone (tests hold the exact path to it). */
export function checkDraftPlain(draft: Draft): { ok: true; data: unknown } | { ok: false; reason: string } {
  const schema = (eventSchemas().EVENT_SCHEMAS as Record<string, Record<number, z.ZodType>>)[draft.type]?.[CURRENT_VERSION[draft.type]];
  if (!schema) return { ok: false, reason: `unknown event type '${draft.type}'` };
  const parsed = schema.safeParse(draft.data);
  if (!parsed.success) return { ok: false, reason: `bad ${draft.type} data: ${summarise(parsed.error)}` };
  const json = storable(parsed.data);
  return typeof json === 'string' ? { ok: true, data: parsed.data } : json;
}

/** `data` as JSON, or why it cannot be stored: `z.unknown()` fields (a reason's from/to) pass the checks but may not serialise (BigInt, cycles). */
function storable(data: unknown): string | { ok: false; reason: string } {
  try {
    return JSON.stringify(data);
  } catch (err) {
    return { ok: false, reason: `data cannot be stored as JSON: ${(err as Error).message}` };
  }
}

function summarise(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The object without its undefined fields: what a JSON round trip would give back. */
export function stripUndefined<T extends object>(o: T): T {
  for (const k in o) if (o[k] === undefined) return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return o; // the common case: nothing to strip, no copy
}
