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
