// Two examples of each command, shown after its --help and in docs/cli.md. A unit test parses each
// one with the command's own definition (test/unit/cli/help.test.ts), so they stay runnable.
import type { Command } from 'commander';

export const EXAMPLES: Readonly<Record<string, readonly [string, string]>> = {
  daemon: [
    'podledger daemon --apps /etc/podledger/apps --data /var/lib/podledger',
    'podledger daemon --concurrency 4 --http 9464 --log-format json',
  ],
  validate: [
    'podledger validate --apps /etc/podledger/apps',
    'podledger validate --apps apps --policy /etc/podledger/policy.yml --json',
  ],
  plan: [
    'podledger plan --apps /etc/podledger/apps',
    'podledger plan --detailed-exitcode --json',
  ],
  kube: [
    'podledger kube --apps /etc/podledger/apps --host-facts facts.json > apps.yaml',
    'podledger kube --workload deployment --secrets /etc/podledger/secrets --with-secrets --out apps.yaml',
  ],
  status: [
    'podledger status',
    'podledger status vault --json',
  ],
  events: [
    'podledger events --app vault --since 2h',
    'podledger events --type PlanDecided ActionFailed --follow',
  ],
  why: [
    'podledger why vault',
    'podledger why vault --all --log events/crash-loop.ndjson',
  ],
  replay: [
    'podledger replay --log events/crash-loop.ndjson --json',
    'podledger replay --check --data /var/lib/podledger',
  ],
  diff: [
    'podledger diff boot:1 boot:2',
    'podledger diff 11 18 --log events/secret-rotation.ndjson --json',
  ],
  ui: [
    'podledger ui --log events/host-ip-change.ndjson',
    'podledger ui --data /srv/exports/node-7 --http 127.0.0.1:8080',
  ],
  export: [
    'podledger export --out node.ndjson',
    'podledger export --follow --format otel --out /var/log/podledger/audit.otlp.jsonl',
  ],
  import: [
    'podledger import node.ndjson --data ./restored',
    'podledger import node.ndjson --json',
  ],
  compact: [
    'podledger compact --keep-boots 5 --dry-run',
    'podledger compact --before 30d',
  ],
  completion: [
    'podledger completion bash > /etc/bash_completion.d/podledger',
    'podledger completion zsh > "${fpath[1]}/_podledger"',
  ],
};

/** The command's examples, or none (a command without any is caught by the help test). */
export const examplesOf = (name: string): readonly string[] => EXAMPLES[name] ?? [];

/** Adds the command's examples after its --help. */
export function withExamples(c: Command): Command {
  const examples = examplesOf(c.name());
  if (examples.length > 0) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
  return c;
}
