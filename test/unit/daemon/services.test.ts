// The daemon's services stop in the reverse order they started, after every one has stopped taking
// new work; a busy one is waited for at most the grace period, saying what it waits for.
import { describe, expect, it } from 'vitest';
import { Services } from '../../../src/daemon/services.js';

const silent = () => {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => void lines.push(m), debug: (m: string) => void lines.push(`DEBUG ${m}`), warn: (m: string) => void lines.push(`WARN ${m}`), error: (m: string) => void lines.push(`ERROR ${m}`) } };
};

describe('Services', () => {
  it('given three services, when stopped, then all are quiesced first and then stopped last-started first', async () => {
    const { log } = silent();
    const seen: string[] = [];
    const services = new Services(log);
    for (const name of ['a', 'b', 'c']) services.add({ name, quiesce: () => void seen.push(`quiesce ${name}`), stop: () => void seen.push(`stop ${name}`) });
    expect(await services.stopAll()).toBe(true);
    expect(seen).toEqual(['quiesce c', 'quiesce b', 'quiesce a', 'stop c', 'stop b', 'stop a']);
  });

  it('given a busy service that never finishes, when stopped, then the others still stop after the grace and the stop says what it left', async () => {
    const { lines, log } = silent();
    const seen: string[] = [];
    const services = new Services(log, 50);
    services.add({ name: 'store', stop: () => void seen.push('store closed') });
    services.add({ name: 'reconciler', busyWith: () => 'recreate bitcoind (for 7.5 s)', stop: () => new Promise(() => undefined) });
    expect(await services.stopAll()).toBe(false);
    expect(seen).toEqual(['store closed']);
    expect(lines).toContain('WARN stopping without waiting longer for recreate bitcoind (for 7.5 s): their outcome is not recorded; the next start observes what they did');
  });
});
