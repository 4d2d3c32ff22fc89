// The event catalogue's type names alone, without their schemas: the command line offers them
// (`--type`, completion) without loading zod and building the catalogue's schemas, which `--help`
// and `completion` have no use for (docs/benchmarks.md, start-up). core/events.ts checks at compile
// time that this list names exactly the types it has schemas for.
export const EVENT_TYPE_NAMES = [
  'ActionFailed', 'ActionStarted', 'ActionSucceeded', 'BackoffScheduled', 'BootStarted', 'BootStopped',
  'ContainerExited', 'ContainerObserved', 'ContainerRemoved', 'ContainerStarted', 'DriftDetected',
  'HealthChanged', 'HostFactsObserved', 'ImageProgress', 'ManifestObserved', 'ManifestRejected',
  'ManifestRemoved', 'PlanDecided', 'ProbeOutcomeChanged', 'RolledBack', 'SecretObserved',
  'SecretRemoved', 'SecurityWarning', 'UnmanagedContainerObserved',
] as const;

// Constants the schemas (event-schemas.ts) are built from, here so that events.ts offers them without
// building those.
export const SOURCES = ['manifests', 'podman', 'inventory', 'host', 'secrets', 'health', 'reconciler', 'executor', 'cli'] as const;
export const ACTION_KINDS = ['create', 'start', 'restart', 'recreate', 'rollback', 'adopt', 'remove', 'wait', 'blocked'] as const;
export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;
