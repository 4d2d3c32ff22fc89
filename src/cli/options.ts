// The options several commands share. Each command names the ones it reads (program.ts), so its
// --help, docs/cli.md and the completion scripts list only what applies to it. Each use builds its
// own Option: commander keeps parsing state on them.
import { Command, Option } from 'commander';
import { defaultPodmanSocket } from '../podman/socket.js';

const SHARED = {
  apps: () => new Option('--apps <dir>', 'folder of app manifests (<dir>/<id>/manifest.yml)').default('apps'),
  data: () => new Option('--data <dir>', 'event log and node key folder').env('PODLEDGER_DATA').default('/var/lib/podledger'),
  podmanSocket: () => new Option('--podman-socket <path>', "podman's API socket").env('PODLEDGER_PODMAN_SOCKET')
    .default(defaultPodmanSocket(process.env), '$CONTAINER_HOST (unix://PATH), else /run/podman/podman.sock'),
  hostFacts: () => new Option('--host-facts <file>', 'JSON object of host facts (HOST_IP, HOST_MDNS, DISK_GB) overriding the OS; watched'),
  secrets: () => new Option('--secrets <dir>', 'folder of secret files named by secret_env'),
  policy: () => new Option('--policy <file>', 'node safety policy (YAML: data_root, allow); default /etc/podledger/policy.yml, else policy.yml beside the apps folder, when present').env('PODLEDGER_POLICY'),
  log: () => new Option('--log <file>', "read a captured log (NDJSON from 'podledger export') instead of --data"),
  json: () => new Option('--json', 'machine-readable output'),
} as const;

export type Shared = keyof typeof SHARED;

/** What the daemon and plan read: manifests, the node, podman, facts, secrets, policy. */
export const NODE: readonly Shared[] = ['apps', 'data', 'podmanSocket', 'hostFacts', 'secrets', 'policy', 'json'];
/** What a reader of the log takes: the data dir or a captured log. */
export const LOG_READER: readonly Shared[] = ['data', 'log', 'json'];

/** `c` with the shared options `names`, in that order; `json` overrides what --json says for this command. */
export function withShared(c: Command, names: readonly Shared[], json?: string): Command {
  for (const name of names) {
    const option = SHARED[name]();
    if (name === 'json' && json) option.description = json;
    c.addOption(option);
  }
  return c;
}
