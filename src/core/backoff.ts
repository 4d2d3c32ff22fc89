// Backoff. `doubling` is the one formula of a wait that doubles up to a cap (the podman event stream's
// reconnects use it too). An app's crash-loop and retry backoff: 1 s, doubling, capped at 5 min, with
// ±20 % jitter. The jitter comes from a hash of the app and the event that triggered the wait, not
// from randomness, so a replay computes the very same deadline.
import { sha256 } from './hash.js';

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 5 * 60_000;

/** `baseMs` doubled `attempt` times (attempt 0: `baseMs`), at most `capMs`. */
export function doubling(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(attempt, 52), capMs); // past 2^52 every wait is capped anyway
}

/** Delay before the `attempt`-th wait of a loop (0 = the first wait: 1 s ± 20 %). */
export function backoffDelay(app: string, attempt: number, salt: number): number {
  const base = doubling(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
  const unit = parseInt(sha256(`${app}:${attempt}:${salt}`).slice(0, 8), 16) / 0xffffffff;
  return Math.round(base * (0.8 + 0.4 * unit));
}
