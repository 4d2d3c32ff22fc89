// Builders for given/when/then tests of the pure core: envelopes with seq and time, and manifests.
import { CURRENT_VERSION, type Draft, type Envelope } from '../../../src/core/events.js';
import { manifestSchema, type Manifest, type ManifestInput } from '../../../src/core/manifest/schema.js';

export const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

/** Envelopes for drafts, seq from `firstSeq`, one second apart from T0 + seq s. */
export function envelopes(drafts: Draft[], firstSeq = 1): Envelope[] {
  return drafts.map((d, i) => {
    const seq = firstSeq + i;
    return { ...d, seq, id: `id-${seq}`, v: CURRENT_VERSION[d.type], at: T0 + seq * 1000, boot: 1, bootSeq: seq } as Envelope;
  });
}

/** A manifest as an author writes it (checked against the schema here, so a typo fails the test setup). */
export function manifest(id: string, container: Partial<ManifestInput['container']> = {}, rest: Partial<ManifestInput> = {}): ManifestInput {
  const input = { app: { id, name: id, version: '1.0.0' }, container: { image: `example/${id}:1`, ...container }, ...rest } as ManifestInput;
  manifestSchema().parse(input);
  return input;
}

export const parsed = (m: ManifestInput): Manifest => manifestSchema().parse(m);

export const observed = (app: string, m: ManifestInput, hash = `h-${app}`): Draft => ({
  type: 'ManifestObserved', source: 'manifests', app,
  data: { path: `apps/${app}/manifest.yml`, hash, manifest: m as Record<string, unknown>, templates: {} },
});

export const facts = (values: Record<string, string | number>, changed = Object.keys(values)): Draft => ({
  type: 'HostFactsObserved', source: 'host', data: { facts: values, changed },
});

export const secret = (name: string, hash: string): Draft => ({ type: 'SecretObserved', source: 'secrets', data: { name, hash } });
