// Plans and reasons are data; this turns them into the text people read. Deterministic, so tests can
// compare rendered plans exactly.
import type { Action, Envelope, Reason } from './events.js';

export function renderPlan(actions: readonly Action[]): string {
  if (actions.length === 0) return 'nothing to do: every app is converged\n';
  return actions.map(renderAction).join('');
}

export function renderAction(a: Action): string {
  const attempt = a.attempt !== undefined ? ` (attempt ${a.attempt + 1})` : '';
  const head = a.kind === 'wait' && a.until !== undefined ? `wait ${a.app} until ${iso(a.until)}${attempt}` : `${a.kind} ${a.app}${attempt}`;
  return `${head}\n${a.reasons.map((r) => `  ${renderReason(r)}\n`).join('')}`;
}

export function renderReason(r: Reason): string {
  let text = r.code; // appended to, not an array joined: `why --all` renders thousands
  if (r.field) text += ` ${r.field}`;
  if (r.from !== undefined || r.to !== undefined) text += ` ${show(r.from)} → ${show(r.to)}`;
  if (r.message) text += ` (${r.message})`;
  if (r.causedBy) text += ` causedBy #${r.causedBy}`;
  return text;
}

export function show(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (typeof value === 'string' && (value.startsWith('(') || value.startsWith('content '))) return value;
  return JSON.stringify(value);
}

/**
 * Text from an untrusted input (a reason quoting a line of a file) made safe to print on a terminal:
 * control characters (but line breaks with `keepLines`) and bidi overrides written as \xNN / \u{NNNN},
 * at most `max` characters.
 */
export function printable(text: string, max = 200, keepLines = false): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(keepLines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g : /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/** ISO 8601 for a time in ms; a number no Date can hold is shown as it is rather than thrown on. */
export function iso(ms: number): string {
  // Whole ms in years 1970-9999 (every recorded time): the day's part once per day, the rest by hand.
  // `toISOString` costs ~5 µs a call, which was 60-150 ms of `why --all` on a long history (12k times).
  if (Number.isSafeInteger(ms) && ms >= 0 && ms < MAX_FAST_ISO) {
    const day = ms - (ms % DAY_MS);
    if (day !== isoDay.ms) isoDay = { ms: day, text: new Date(day).toISOString().slice(0, 11) };
    const t = ms - day;
    return `${isoDay.text}${two(Math.floor(t / 3_600_000))}:${two(Math.floor(t / 60_000) % 60)}:${two(Math.floor(t / 1000) % 60)}.${String(t % 1000).padStart(3, '0')}Z`;
  }
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `(time ${ms})` : d.toISOString();
}

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from there on `toISOString` writes a six-digit year */
const MAX_FAST_ISO = 253_402_300_800_000;
/** the day `iso` formatted last: a cache, not state any answer depends on */
let isoDay = { ms: -1, text: '' };
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function renderDifference(d: { field: string; expected: unknown; actual: unknown }): string {
  return `${d.field} is ${show(d.actual)}, should be ${show(d.expected)}`;
}

/** One line per event, for `events` and `why`. */
export function renderEvent(e: Envelope): string {
  const app = e.app ? ` ${e.app}` : '';
  return `#${e.seq} ${iso(e.at)} boot ${e.boot} ${e.type}${app} ${summarise(e)}`.trimEnd();
}

export function summarise(e: Envelope): string {
  switch (e.type) {
    case 'BootStarted': return `podledger ${e.data.version} pid ${e.data.pid}${e.data.node ? ` node ${e.data.node}` : ''}`;
    case 'BootStopped': return e.data.reason;
    case 'ManifestObserved': return `${e.data.path} hash ${e.data.hash.slice(0, 12)}`;
    case 'ManifestRejected': return e.data.errors.map((x) => `${x.file}:${x.line}:${x.col}: ${x.path}: ${x.message}`).join('; ');
    case 'ManifestRemoved': return e.data.path;
    case 'HostFactsObserved': return e.data.changed.map((k) => `${k}=${show(e.data.facts[k])}`).join(' ');
    case 'SecretObserved': return `${e.data.name} (hash ${e.data.hash.slice(0, 12)})`;
    case 'SecretRemoved': return e.data.name;
    case 'ContainerObserved': return `${e.data.name} ${e.data.state}${e.data.exitCode !== undefined ? ` exit ${e.data.exitCode}` : ''} ${e.data.id.slice(0, 12)}`;
    case 'ContainerStarted': return `${e.data.name} ${e.data.id.slice(0, 12)}`;
    case 'ContainerExited': return `${e.data.name} exit ${e.data.exitCode} ${e.data.id.slice(0, 12)}`;
    case 'ContainerRemoved': return `${e.data.name} ${e.data.id.slice(0, 12)}`;
    case 'PlanDecided': {
      const busy = e.data.inFlight ?? e.data.deferred ?? [];
      const inFlight = busy.length > 0 ? `in flight: ${busy.join(', ')}` : '';
      if (e.data.actions.length === 0) return inFlight || 'converged';
      return [e.data.actions.map((a) => `${a.kind} ${a.app}`).join(', '), inFlight].filter(Boolean).join('; ');
    }
    case 'ActionStarted': return `${e.data.action.kind}: ${e.data.action.reasons.map(renderReason).join('; ')}`;
    case 'ActionSucceeded': return `${e.data.kind}${e.data.containerId ? ` → ${e.data.containerId.slice(0, 12)}` : ''}${e.data.detail ? ` (${e.data.detail})` : ''}`;
    case 'ActionFailed': return `${e.data.kind}: ${e.data.error.code}: ${e.data.error.message}`;
    case 'HealthChanged': return `${e.data.status}${e.data.failingStreak ? ` after ${e.data.failingStreak} failed probe(s)` : ''}${e.data.detail ? ` (${e.data.detail})` : ''}`;
    case 'ProbeOutcomeChanged': return `${e.data.ok ? 'ok' : 'failed'}: ${e.data.output} (${e.data.latencyMs} ms) ${e.data.id.slice(0, 12)}`;
    case 'DriftDetected': return e.data.differences.length === 0 ? 'drift gone' : e.data.differences.map(renderDifference).join('; ');
    case 'UnmanagedContainerObserved': return `${e.data.name} ${e.data.id.slice(0, 12)} not made by podledger: ${e.data.differences.length === 0 ? 'matches the desired spec' : e.data.differences.map(renderDifference).join('; ')}`;
    case 'BackoffScheduled': return `attempt ${e.data.attempt + 1} not before ${iso(e.data.until)} (${(e.data.delayMs / 1000).toFixed(1)} s)`;
    case 'RolledBack': return `spec ${e.data.fromSpecHash.slice(0, 12)} failed its health check; back to ${e.data.toSpecHash.slice(0, 12)} until the manifest changes`;
    case 'ImageProgress': return `${e.data.image}: ${e.data.step}`;
    case 'SecurityWarning': return `${e.data.code}: ${e.data.message}`;
  }
}
