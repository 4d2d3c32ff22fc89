// The event catalogue's zod schemas: each type/version's data, the envelope, and the shapes they
// share. Built on first use (`eventSchemas()`), not at load: decoding a log takes the generated exact
// checks (exact-checks.generated.ts) and needs these only for a record off that fast path, or to
// validate a draft; building them (and compiling the checks from them) was 35 M instructions of every
// offline command's start-up (docs/benchmarks.md, branch startup3). events.ts derives its types from them.
import * as z from 'zod';
import { ACTION_KINDS, HEALTH_STATES, SOURCES } from './event-types.js';
import { containerSpecSchema } from './spec-schema.js';

/** The shapes several event types hold. */
function shared() {
  const ReasonSchema = z.object({
    code: z.string(),
    field: z.string().optional(),
    from: z.unknown().optional(),
    to: z.unknown().optional(),
    causedBy: z.number().int().positive().optional(),
    message: z.string().optional(),
  });

  const ActionSchema = z.object({
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

  const ManifestErrorSchema = z.object({
    file: z.string(),
    line: z.number().int(),
    col: z.number().int(),
    path: z.string(),
    message: z.string(),
  });

  /** A field where what runs differs from what should: secrets show as `(secret)`, never by value. */
  const DifferenceSchema = z.object({ field: z.string(), expected: z.unknown(), actual: z.unknown() });


  const ContainerState = z.enum(['created', 'running', 'paused', 'exited', 'stopped', 'unknown']);

  const FactValue = z.union([z.string(), z.number()]);

  return { ReasonSchema, ActionSchema, ManifestErrorSchema, DifferenceSchema, ContainerState, FactValue };
}

/** Per event type, its versions' data schemas. The last version is the current one. */
function observations({ ManifestErrorSchema, DifferenceSchema, ContainerState, FactValue }: ReturnType<typeof shared>) {
  return {
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
  } as const;
}

function decisions({ ActionSchema }: ReturnType<typeof shared>) {
  return {
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
        spec: containerSpecSchema().optional(), detail: z.string().optional(),
        /** podman's start time of the container's current run (ms): older events about it are stale */
        startedAt: z.number().optional(),
        /** for a crash-loop restart: which attempt it was (the backoff counts these) */
        attempt: z.number().int().nonnegative().optional(),
      }),
    },
    ActionFailed: { 1: z.object({ kind: z.enum(ACTION_KINDS), error: z.object({ code: z.string(), message: z.string() }) }) },
  } as const;
}

function build() {
  const s = shared();
  const EVENT_SCHEMAS = { ...observations(s), ...decisions(s) };
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
  return { ...s, EVENT_SCHEMAS, EnvelopeShape };
}

export type EventSchemas = ReturnType<typeof build>;
let built: EventSchemas | undefined;
/** The catalogue's schemas, built once, on first use. */
export const eventSchemas = (): EventSchemas => (built ??= build());
