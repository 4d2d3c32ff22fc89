// `why` without a full scan: on random logs with causal chains (reasons → events → their causes, facts
// changed again and again, missing links, outcomes of other apps), `explain` over what whyEvents loads
// answers exactly as over the whole log — through the store's indexes, an export scanned per read,
// and the daemon's control socket.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, type Draft, type Envelope } from '../../../src/core/events.js';
import { initialState } from '../../../src/core/state.js';
import { explain } from '../../../src/core/why.js';
import { openLog } from '../../../src/cli/source.js';
import { serveControl } from '../../../src/daemon/control.js';
import { ndjsonLookup, writeNdjson } from '../../../src/log/ndjson.js';
import { EventStore } from '../../../src/log/store.js';
import type { EventLookup } from '../../../src/log/reader.js';
import { whyEvents, whySeqs } from '../../../src/log/why.js';
import { events, fixedOpts } from './helpers.js';

const APPS = ['web', 'db', 'ui'];
const STEPS = ['facts', 'secret', 'removed', 'exit', 'action', 'action', 'outcome', 'started', 'plan'] as const;

const stepArb = fc.record({
  step: fc.constantFrom(...STEPS),
  app: fc.constantFrom(...APPS),
  kind: fc.constantFrom(...ACTION_KINDS),
  refs: fc.array(fc.nat(10_000), { maxLength: 3 }),
  cause: fc.option(fc.nat(10_000), { nil: undefined }),
  dangling: fc.nat(9),
  changed: fc.subarray(['HOST_IP', 'HOST_MDNS', 'DISK_GB']),
  value: fc.nat(5),
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Drafts for a fresh store (seq = index + 1), each causal reference to an earlier seq or, now and then, to
 * none. An outcome answers an earlier action and carries its app, as the reconciler writes it.
 */
function draftsOf(steps: Step[]): Draft[] {
  const actions: { seq: number; app: string }[] = [];
  return steps.map((s, i): Draft => {
    const seq = i + 1;
    const ref = (n: number) => (i === 0 || s.dangling === 0 ? seq + 500 : 1 + (n % i));
    const causedBy = s.cause === undefined ? {} : { causedBy: ref(s.cause) };
    switch (s.step) {
      case 'facts':
        return { type: 'HostFactsObserved', source: 'host', ...causedBy, data: { facts: { HOST_IP: `10.0.0.${s.value}`, DISK_GB: s.value }, changed: s.changed } };
      case 'secret':
        return { type: 'SecretObserved', source: 'secrets', ...causedBy, data: { name: 'rpc', hash: `h${s.value}` } };
      case 'removed':
        return { type: 'ManifestRemoved', source: 'manifests', app: s.app, ...causedBy, data: { path: `apps/${s.app}` } };
      case 'exit':
        return { type: 'ContainerExited', source: 'podman', app: s.app, ...causedBy, data: { id: `c-${s.app}`, name: s.app, exitCode: s.value } };
      case 'action': {
        actions.push({ seq, app: s.app });
        const reasons = s.refs.map((r, k) => ({ code: `r${k}`, ...(r % 4 === 0 ? {} : { causedBy: ref(r) }) }));
        return { type: 'ActionStarted', source: 'reconciler', app: s.app, ...causedBy, data: { action: { kind: s.kind, app: s.app, reasons } } };
      }
      case 'outcome': {
        const action = actions[(s.refs[0] ?? 0) % Math.max(1, actions.length)];
        const of = action ? { app: action.app, causedBy: action.seq } : { app: s.app, ...causedBy };
        return s.value % 3 === 0
          ? { type: 'ActionFailed', source: 'executor', ...of, data: { kind: s.kind, error: { code: 'x', message: 'failed' } } }
          : { type: 'ActionSucceeded', source: 'executor', ...of, data: { kind: s.kind } };
      }
      case 'started':
        return { type: 'ContainerStarted', source: 'podman', app: s.app, ...causedBy, data: { id: `c-${s.app}`, name: s.app } };
      default:
        return { type: 'PlanDecided', source: 'reconciler', ...causedBy, data: { atSeq: Math.max(0, seq - 1), stateHash: 'h', plannedAt: 0, actions: [] } };
    }
  });
}

const noCorrupt = (seq: number, reason: string) => {
  throw new Error(`unexpected bad record #${seq}: ${reason}`);
};

async function agrees(lookup: EventLookup, all: Envelope[]): Promise<void> {
  for (const app of APPS) {
    const full = explain(all, app);
    const every = await whyEvents(lookup, app, { all: true, onCorrupt: noCorrupt });
    expect(explain(every.events, app)).toEqual(full);
    const last = await whyEvents(lookup, app, { all: false, onCorrupt: noCorrupt });
    expect(explain(last.events, app).slice(-1)).toEqual(full.slice(-1)); // what `why APP` shows
    // it does not just load everything
    expect(every.events.length).toBeLessThanOrEqual(all.length);
  }
}

describe('whyEvents', () => {
  it('given random causal logs, when why is answered from what whyEvents loads (store indexes, scanned export, daemon socket), then explain agrees with explain over the whole log, for all entries and for the last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 120 }), async (steps) => {
        const root = await mkdtemp(join(tmpdir(), 'podledger-why-'));
        const dir = join(root, 'db');
        const store = await EventStore.open(dir, fixedOpts());
        let control: { close(): Promise<void> } | undefined;
        try {
          await store.append(draftsOf(steps));
          const all = await events(store.read());

          await agrees(store, all);

          const file = join(root, 'log.ndjson');
          const out = createWriteStream(file);
          await writeNdjson((async function* () { yield* all; })(), out);
          out.end();
          await finished(out);
          await agrees(ndjsonLookup(file), all);

          control = await serveControl(dir, store, () => initialState);
          const source = await openLog({ data: dir }); // the store holds the lock: read through the socket
          expect(source.origin).toMatch(/^daemon at /);
          await agrees(source.lookup, all);
        } finally {
          await control?.close();
          await store.close();
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });

  it('given a host fact that changed long ago, when why follows a later change of it, then the earlier value is fetched through the type index, not by reading the log', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podledger-why-'));
    const store = await EventStore.open(join(root, 'db'), fixedOpts());
    try {
      const facts = (ip: string, changed: string[]): Draft => ({ type: 'HostFactsObserved', source: 'host', data: { facts: { HOST_IP: ip, DISK_GB: changed.length }, changed } });
      await store.append([facts('10.0.0.5', ['HOST_IP', 'DISK_GB'])]); // #1
      await store.append(Array.from({ length: 200 }, (_, i) => ({ type: 'ContainerExited', source: 'podman', app: 'other', data: { id: 'c', name: 'other', exitCode: i } }) as Draft));
      await store.append([facts('10.0.0.5', ['DISK_GB']), facts('10.0.0.9', ['HOST_IP'])]); // #202, #203
      await store.append([{ type: 'ActionStarted', source: 'reconciler', app: 'web', data: { action: { kind: 'recreate', app: 'web', reasons: [{ code: 'spec-changed', causedBy: 203 }] } } }]);

      const reads: string[] = [];
      const counting: EventLookup = {
        read: (o) => { reads.push(JSON.stringify(o)); return store.read(o); },
        getMany: (seqs) => { reads.push(`get ${seqs.join(',')}`); return store.getMany(seqs); },
      };
      const loaded = await whyEvents(counting, 'web', { all: false, onCorrupt: noCorrupt });

      expect(loaded.events.map((e) => e.seq)).toEqual([1, 203, 204]);
      expect(reads).toEqual(['{"app":"web","reverse":true}', 'get 203', '{"type":"HostFactsObserved","until":202,"reverse":true}']);
      const [entry] = explain(loaded.events, 'web');
      expect(entry!.reasons[0]!.cause![0]!.changes).toEqual([{ name: 'HOST_IP', from: '10.0.0.5', to: '10.0.0.9' }]);
      expect([...await whySeqs(store, 'web', noCorrupt)].sort((a, b) => a - b)).toEqual([1, 203, 204]);
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
