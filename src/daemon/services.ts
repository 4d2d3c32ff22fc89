// The daemon is a short list of services started in order and stopped in the reverse order. A stop
// that takes long says what it waits for every 5 s, and waits at most a grace period: a podman call
// can hang for as long as its timeout, and past the grace the daemon stops anyway, as if it had
// crashed there, which the next start handles (it re-observes, then re-plans).
import type { Logger } from './logger.js';

export interface Service {
  readonly name: string;
  /**
   * Take no new work (close watchers, clear timers), before any service is stopped: a timer left
   * running while another service drains would start reads that wait on it.
   */
  quiesce?(): Promise<unknown> | unknown;
  /** resolves once the service has stopped (or stopped what it can) */
  stop(): Promise<unknown> | unknown;
  /**
   * For a service whose stop waits on work in flight: what it is still busy with. Its stop is then
   * bounded by the grace period.
   */
  busyWith?(): string;
}

/** How long a stop waits for one busy service. */
export const STOP_GRACE_MS = 10_000;

export class Services {
  readonly #started: Service[] = [];

  constructor(private readonly log: Logger, private readonly graceMs = STOP_GRACE_MS) {}

  /** Record a started service; returns it, so a composition reads as a list of starts. */
  add<S extends Service>(service: S): S {
    this.#started.push(service);
    return service;
  }

  /** Stop every service, last started first. False if any was left busy past the grace period. */
  async stopAll(): Promise<boolean> {
    let waitedForAll = true;
    for (const s of [...this.#started].reverse()) await s.quiesce?.();
    for (const s of [...this.#started].reverse()) {
      if (s.busyWith) waitedForAll = (await this.#bounded(s as Service & { busyWith(): string })) && waitedForAll;
      else await s.stop();
    }
    this.#started.length = 0;
    return waitedForAll;
  }

  async #bounded(s: Service & { busyWith(): string }): Promise<boolean> {
    const every = setInterval(() => this.log.info(`stopping: still waiting for ${s.busyWith()}`, {}), 5_000);
    let grace: NodeJS.Timeout | undefined;
    try {
      const expired = new Promise<'expired'>((resolve) => (grace = setTimeout(() => resolve('expired'), this.graceMs)));
      if ((await Promise.race([Promise.resolve(s.stop()), expired])) !== 'expired') return true;
      // the next start re-observes what they did: nothing is lost, so a warning
      this.log.warn(`stopping without waiting longer for ${s.busyWith()}: their outcome is not recorded; the next start observes what they did`, {});
      return false;
    } finally {
      clearInterval(every);
      clearTimeout(grace);
    }
  }
}
