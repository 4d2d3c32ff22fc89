// One reading of each source the node is observed from — manifests (with the node policy), host
// facts, secrets, podman's inventory — turned into drafts against what is believed and appended.
// The daemon runs these again and again (each behind a coalescing runner); `plan` runs them once,
// into a log in memory. The order of a complete picture is here, once: podman is read last, because
// telling a container made elsewhere from ours needs the manifests and facts.
import type Docker from 'dockerode';
import type { Draft } from '../core/events.js';
import { factsDraft, inventoryNews, manifestDrafts, secretDrafts } from '../core/observations.js';
import type { State } from '../core/state.js';
import type { NodePolicy } from '../act/executor.js';
import { readSecretHashes, secretHash } from '../host/secrets.js';
import { readHostFacts } from '../observe/host-facts.js';
import { readInventory } from '../observe/inventory.js';
import { readManifests } from '../observe/manifests.js';
import { policyContext, type PolicyOptions } from '../observe/policy-file.js';

/** The node's sources; the policy file, secrets folder and podman socket are also what the node policy is read with. */
export interface Sources extends PolicyOptions {
  appsDir: string;
  /** the data dir: host facts keep their last known values there */
  dataDir: string;
  hostFactsFile?: string | undefined;
  podmanSocket: string;
  nodeKey: Buffer;
}

/** Where readings go: what is believed now, and a turn to decide against it and append (recorder.ts). */
export interface Sink {
  state(): State;
  record(decide: (now: State) => Draft[]): Promise<unknown>;
}

export interface Readers {
  /** manifests, judged by the node policy as it is now; returns that policy, which the executor acts by too */
  manifests(): Promise<NodePolicy>;
  facts(): Promise<void>;
  secrets(): Promise<void>;
  /** podman's containers against `before`, the state when the reading began */
  inventory(docker: Docker): Promise<void>;
}

export function readers(src: Sources, sink: Sink): Readers {
  const hashSecret = (value: string) => secretHash(src.nodeKey, value);
  return {
    async manifests() {
      // A policy file that cannot be read fails the whole read: nothing is rejected (or removed) because of it.
      const context = await policyContext(src);
      const read = await readManifests(src.appsDir, context);
      await sink.record((now) => manifestDrafts(now, read));
      return { dataRoot: context.policy.data_root, buildHostFiles: context.policy.build_host_files, policyFile: context.policyFile };
    },
    async facts() {
      const facts = await readHostFacts(src.dataDir, src.hostFactsFile);
      await sink.record((now) => factsDraft(now, facts));
    },
    async secrets() {
      const hashes = await readSecretHashes(src.secretsDir, src.nodeKey);
      await sink.record((now) => secretDrafts(now, hashes));
    },
    async inventory(docker) {
      const before = sink.state();
      const found = await readInventory(docker, before, hashSecret);
      await sink.record((now) => inventoryNews(before, now, found));
    },
  };
}

/** Every source once: the files' readings together, then podman's, which needs them. */
export async function observeOnce(steps: { files: (() => Promise<unknown>)[]; podman: () => Promise<unknown> }): Promise<void> {
  await Promise.all(steps.files.map((read) => read()));
  await steps.podman();
}
