// The spec hash travels as a 52-letter base32 label (Kubernetes and podman kube play cap label and
// annotation values at 63 characters); names are cut to DNS labels without two ever meeting.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dnsLabel, hashFromLabel, hashToLabel, isDnsLabel } from '../../../src/core/kube/names.js';

describe('kube names and the spec hash label', () => {
  it('given spec hashes, when written as a label and read back, then the same hash, in 52 label-safe characters', () => {
    for (let i = 0; i < 200; i++) {
      const hex = createHash('sha256').update(String(i)).digest('hex');
      const label = hashToLabel(hex);
      expect(label).toMatch(/^[a-z2-7]{52}$/);
      expect(hashFromLabel(label)).toBe(hex);
    }
  });

  it('given text that is not a hash label, when read, then nothing (a label of another form is not taken for a hash)', () => {
    expect(hashFromLabel('0'.repeat(64))).toBeUndefined();
    expect(hashFromLabel('a'.repeat(51))).toBeUndefined();
    expect(hashFromLabel('A'.repeat(52))).toBeUndefined();
  });

  it('given names Kubernetes would refuse, when made DNS labels, then each is one, and two different names stay different', () => {
    const names = ['bitcoin-rpc-password', 'Bitcoin_RPC', 'bitcoin-rpc', 'x'.repeat(80), `${'x'.repeat(80)}y`, 'a.b', 'a-b'];
    const labels = names.map((n) => dnsLabel('podledger-secret', n));
    for (const l of labels) expect(isDnsLabel(l), l).toBe(true);
    expect(new Set(labels).size).toBe(names.length);
    expect(dnsLabel('podledger-secret', 'bitcoin-rpc-password')).toBe('podledger-secret-bitcoin-rpc-password');
  });
});
