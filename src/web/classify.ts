// How the timeline groups events: a kind (which lane of the time axis) and a severity (what a reader
// filters by). Derived from the type and a few data fields, so the filter needs no index of its own.
import type { Envelope, EventType } from '../core/events.js';

export const KINDS = ['boot', 'observation', 'plan', 'action', 'outcome'] as const;
export type Kind = (typeof KINDS)[number];
export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

const KIND_OF: Record<EventType, Kind> = {
  BootStarted: 'boot', BootStopped: 'boot',
  ManifestObserved: 'observation', ManifestRejected: 'observation', ManifestRemoved: 'observation',
  HostFactsObserved: 'observation', SecretObserved: 'observation', SecretRemoved: 'observation',
  ContainerObserved: 'observation', ContainerStarted: 'observation', ContainerExited: 'observation', ContainerRemoved: 'observation',
  HealthChanged: 'observation', ProbeOutcomeChanged: 'observation', DriftDetected: 'observation',
  UnmanagedContainerObserved: 'observation', ImageProgress: 'observation', SecurityWarning: 'observation',
  PlanDecided: 'plan', BackoffScheduled: 'plan', RolledBack: 'plan',
  ActionStarted: 'action',
  ActionSucceeded: 'outcome', ActionFailed: 'outcome',
};

export function kindOf(e: Envelope): Kind {
  return KIND_OF[e.type] ?? 'observation';
}

export function severityOf(e: Envelope): Severity {
  switch (e.type) {
    case 'ActionFailed': case 'ManifestRejected': return 'error';
    case 'ContainerExited': return e.data.exitCode === 0 ? 'warning' : 'error';
    case 'HealthChanged': return e.data.status === 'unhealthy' ? 'error' : 'info';
    case 'ProbeOutcomeChanged': return e.data.ok ? 'info' : 'warning';
    case 'DriftDetected': return e.data.differences.length > 0 ? 'warning' : 'info';
    case 'BackoffScheduled': case 'RolledBack': case 'UnmanagedContainerObserved': case 'SecurityWarning': return 'warning';
    default: return 'info';
  }
}

/** At least this severity: `warning` keeps warnings and errors. */
export function atLeast(s: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(min);
}
