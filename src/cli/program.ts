// `podledger <command>`: option parsing and exit codes (main.ts runs it). Commands live in ./commands.ts, ./replay.ts, ./compact.ts;
// the options several share in ./options.ts, each command's examples in ./examples.ts.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { parseHttpAddress } from '../daemon/health-http.js';
import { LOG_FORMATS, LOG_LEVELS } from '../daemon/logger.js';
import { PodledgerError } from '../core/errors.js';
import { printable } from '../core/render.js';
import { VERSION } from '../version.js';
import { anyPointArg, bootArg, boundArg, eventTypeArg, MAX_TIMER_SECONDS, secondsArg, seqArg, timeArg, wholeArg } from './args.js';
import type * as cmd from './commands.js';
import { COMPLETION_SHELLS, completionScript, type Shell } from './completion.js';
import { InvalidInputError, UsageError } from './errors.js';
import { withExamples } from './examples.js';
import { LOG_READER, NODE, withShared } from './options.js';
import type * as replay from './replay.js';

// Each command's module is loaded when that command runs: together they pull in zod's catalogue,
// dockerode, level and the daemon, which cost hundreds of ms of start-up that --version, --help or
// an offline read of a small log would otherwise pay (docs/benchmarks.md, start-up).
const commands = () => import('./commands.js');
const replays = () => import('./replay.js');

/** 0 ok; 1 invalid input or divergence; 2 usage; 3 runtime failure. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, runtime: 3 } as const;

/** `plan --detailed-exitcode`, as Terraform's: 0 nothing to do, 2 changes pending, 1 any error (a usage error too: 2 is taken). */
export const PLAN_EXIT = { none: 0, error: 1, changes: 2 } as const;

/** Most apps a node acts on at once, and the most events between two snapshots. */
const MAX_CONCURRENCY = 256;
const MAX_SNAPSHOT_EVERY = 100_000_000;

/** `setExit`: a command that ends well with another code than 0 (plan --detailed-exitcode) says it here. */
export function buildProgram(setExit: (code: number) => void = () => {}): Command {
  const program = new Command('podledger')
    .description('Keeps podman containers converged on app manifests; every observation and decision is an event you can replay.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', "\nRun 'podledger <command> --help' for a command's options and examples;\ndocs/cli.md has them all.")
    .exitOverride();
  nodeCommands(program, setExit);
  logCommands(program);
  storeCommands(program);
  program.command('completion').summary('print a bash or zsh completion script')
    .description("print a completion script for bash or zsh (commands, their options, event types for --type); source it, or save it where your shell loads completions")
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .action((shell: Shell) => {
      const script = completionScript(shell, program);
      process.stdout.write(script.endsWith('\n') ? script : `${script}\n`);
    });
  for (const c of program.commands) withExamples(c);
  return program;
}

/** The commands that read the node's manifests and podman: daemon, validate, plan. */
function nodeCommands(program: Command, setExit: (code: number) => void): void {
  withShared(program.command('daemon').summary('observe, log, plan and act until stopped')
    .description('observe, log, plan and act until SIGTERM/SIGINT; stops cleanly, leaves containers running'), NODE, 'log as JSON lines (as --log-format json)')
    .option('--resync <seconds>', `full re-read of podman, manifests, facts and secrets every so often (appends only differences); 1 to ${MAX_TIMER_SECONDS}`, secondsArg(1, MAX_TIMER_SECONDS), 60)
    .option('--concurrency <n>', `how many apps may be acted on at once; 1 to ${MAX_CONCURRENCY}`, wholeArg(1, MAX_CONCURRENCY, 'apps acted on at once'), 8)
    .addOption(new Option('--snapshot-every <events>', 'write a projection snapshot every so many events (start-up folds only the tail)')
      .argParser(wholeArg(1, MAX_SNAPSHOT_EVERY, 'events between snapshots')).env('PODLEDGER_SNAPSHOT_EVERY'))
    .option('--control-group <group>', 'a group (name or id) that may also use the control socket (<data>/control.sock, 0660; the data dir becomes 0710); default: root only (0600)')
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices(LOG_LEVELS).default('info').env('PODLEDGER_LOG_LEVEL'))
    .addOption(new Option('--log-format <format>', 'text: logfmt lines; json: one object a line (default: json with --json, else text)').choices(LOG_FORMATS).env('PODLEDGER_LOG_FORMAT'))
    .option('--http <[addr:]port>', 'also serve the web UI (/) and /healthz, /readyz, /metrics over TCP (health is always on the control socket); a port alone binds 127.0.0.1', httpArg)
    .action(async (o: cmd.Common & cmd.DaemonOutput & { resync: number; concurrency: number; snapshotEvery?: number; controlGroup?: string }) => {
      const [{ DAEMON_WEB }, run] = await Promise.all([import('./ui.js'), commands()]);
      return run.daemon(o, o.resync, o.concurrency, o.snapshotEvery, o.controlGroup, DAEMON_WEB);
    });
  withShared(program.command('validate').summary('check every manifest (exit 1 if any is invalid)')
    .description('check every manifest; errors as file:line:col: field: message (exit 1 if any)'), ['apps', 'podmanSocket', 'secrets', 'policy', 'json'])
    .action(async (o: cmd.Common) => (await import('./validate.js')).validate(o));
  withShared(program.command('plan').summary('dry run: what would be done and why')
    .description('dry run against live podman: what would be done and why; changes nothing'), NODE)
    .option('--detailed-exitcode', `exit ${PLAN_EXIT.none} when nothing is to be done, ${PLAN_EXIT.changes} when changes are pending (a wait or block alone is none), ${PLAN_EXIT.error} on any error`)
    .action(async (o: cmd.Common & { detailedExitcode?: boolean }) => {
      const summary = await (await commands()).planCommand(o);
      if (o.detailedExitcode) setExit(summary.changes > 0 ? PLAN_EXIT.changes : PLAN_EXIT.none);
    });
  kubeCommand(program);
}

/** `kube`: the catalog as Kubernetes YAML, for podman kube play, Quadlet .kube units and clusters. */
function kubeCommand(program: Command): void {
  withShared(program.command('kube').summary('render the catalog as Kubernetes YAML')
    .description("render the catalog as multi-document Kubernetes YAML for kubectl apply, podman kube play or a Quadlet .kube unit: per app a Pod (or a one-replica Recreate Deployment), its env with derived values from --host-facts, secret_env as Secrets (empty, marked FILL IN, unless --with-secrets), rendered files as ConfigMaps, probes, init containers for healthy dependencies. What has no Kubernetes form is listed on stderr per app (docs/kube.md)"),
  ['apps', 'hostFacts', 'secrets', 'policy', 'data'])
    .option('--with-secrets', 'put the secret files\' values into the Secrets (needs --secrets); without it no value, hash or anything derived from a secret is written')
    .addOption(new Option('--workload <kind>', 'pod: a Pod per app (restartPolicy from the manifest); deployment: a Deployment with replicas 1 and strategy Recreate').choices(['pod', 'deployment']).default('pod'))
    .option('--wait-image <image>', 'image of the init containers that wait for a healthy dependency (needs sh, wget, nc)', 'docker.io/library/busybox:1.36')
    .option('--facts <file>', 'the host facts JSON the values are derived from (another name for --host-facts)')
    .option('--out <file>', 'write the YAML to this file (0600 with --with-secrets) instead of stdout')
    .action(async (o: cmd.Common & { facts?: string; withSecrets?: boolean; workload: 'pod' | 'deployment'; waitImage: string; out?: string }) => {
      if (o.facts !== undefined && o.hostFacts !== undefined && o.facts !== o.hostFacts) throw new UsageError(`kube: --facts ${o.facts} and --host-facts ${o.hostFacts} name two files; give one`);
      return (await import('./kube.js')).kube({ ...o, ...(o.facts !== undefined ? { hostFacts: o.facts } : {}) });
    });
}

/** The commands that read the log (the data dir, or a captured one with --log): status, events, why, replay, diff. */
function logCommands(program: Command): void {
  withShared(program.command('status').argument('[app]', 'one app in depth: desired vs observed, container, last exit, restarts, health, dependencies, last why')
    .summary("the node's health, and each app's")
    .description("the node's health: the daemon (over its control socket; without one, what the log says), podman as the daemon last found it, the log's last seq; then per app: desired vs observed, last exit (code, signal, OOM kill), restarts, why it waits, pending actions, last failure"), LOG_READER)
    .option('--watch', "render again on each change of the log (through the daemon's control socket; waits for a daemon while none runs); Ctrl-C stops, exit 0")
    .action(async (app: string | undefined, o: cmd.Common & { watch?: boolean }) => {
      const { status } = await import('./status.js');
      if (!o.watch) return status(o, app);
      return (await import('./watch.js')).watchFromCommandLine(o, () => status(o, app));
    });
  withShared(program.command('events').summary('the event log, filtered (or followed)')
    .description('the event log, filtered; --follow goes on printing events as the daemon appends them'), LOG_READER)
    .option('--app <id>', 'only events of this app')
    .option('--boot <n>', 'only events of this daemon run', bootArg)
    .option('--since <seq|time>', 'only events after this seq, or at or after this time (ISO 8601, or ago: 10m, 2h, 3d)', boundArg)
    .option('--until <seq|time>', 'only events up to this seq, or at or before this time (ISO 8601, or ago: 10m, 2h, 3d)', boundArg)
    .option('--type <type...>', 'only events of these types (as the event catalogue spells them: PlanDecided)', eventTypeArg)
    .option('--follow', "then wait for new events and print them as they come (through the daemon's control socket; waits for a daemon while none runs; Ctrl-C stops)")
    .action(async (o: cmd.Common & cmd.EventFilter) => (await commands()).events(o, o));
  withShared(program.command('why').argument('<app>', 'app id').summary("why an app's container was last (re)created")
    .description("why APP's container was last created, recreated, started or removed: action ← reasons ← observations"), LOG_READER)
    .option('--all', 'every such action, oldest first')
    .option('--at <seq|time>', 'as of this seq or time (ISO 8601): the last such action at or before it (with --all: every one up to it)', boundArg)
    .action(async (app: string, o: cmd.Common & { all?: boolean; at?: cmd.Bound }) => (await import('./why-command.js')).why(o, app, Boolean(o.all), o.at));
  withShared(program.command('replay').summary('the state at a point; --check re-plans')
    .description('the projected state at a point, offline from --log or --data (never contacts podman); --check re-plans every recorded decision'), LOG_READER)
    .option('--until <seq>', 'stop after this seq', seqArg)
    .option('--boot <n>', 'stop at the end of this daemon run', bootArg)
    .option('--at <seq|time>', 'stop at this seq, or at the last event at or before this time (ISO 8601)', boundArg)
    .option('--check', "re-run today's planner at every recorded decision; exit 1 at the first divergence, or if nothing could be checked")
    .action(async (o: cmd.Common & replay.ReplayOptions) => (await replays()).replay(o, o));
  withShared(program.command('diff').addArgument(new Argument('<from>', 'seq, boot:N or time').argParser(anyPointArg)).addArgument(new Argument('<to>', 'seq, boot:N or time').argParser(anyPointArg))
    .summary('what changed between two points of the log')
    .description('what changed in desired and observed state between two points, per app and field'), LOG_READER)
    .action(async (from: replay.Point, to: replay.Point, o: cmd.Common, c: Command) => (await replays()).diff(o, [from, c.args[0]!], [to, c.args[1]!]));
  withShared(program.command('ui').summary('the web UI over a captured log, read-only')
    .description("serve the web UI (now, timeline, why, diff) read-only over a captured log (--log) or a stopped node's --data, and print its URL; Ctrl-C stops. A running daemon serves it live with daemon --http"), ['data', 'log'])
    .option('--http <[addr:]port>', 'where to listen; a port alone binds 127.0.0.1; port 0 picks a free one (default 127.0.0.1:0)', httpArg)
    .action(async (o: cmd.Common & { http?: cmd.DaemonOutput['http'] }) => (await import('./ui.js')).ui(o));
}

/**
 * `--http`'s parser, loaded by `run` before parsing a line that gives `--http` (its module brings
 * node:http and node:net, ~13 M instructions every other command has no use for; docs/benchmarks.md,
 * branch startup3). Commander reads a long option only as `--http VALUE` or `--http=VALUE`.
 */
let httpParser: typeof parseHttpAddress | undefined;
const givesHttp = (argv: readonly string[]) => argv.some((a) => a === '--http' || a.startsWith('--http='));

const httpArg = (v: string) => {
  if (!httpParser) throw new Error('--http was parsed without its parser loaded (program.ts run)');
  const at = httpParser(v);
  if (typeof at === 'string') throw new InvalidArgumentError(at);
  return at;
};

/** The commands that move or cut the log itself: export, import, compact. */
function storeCommands(program: Command): void {
  withShared(program.command('export').summary('write the log as NDJSON or OpenTelemetry logs')
    .description('write the log as NDJSON (the form import and --log read) or, with --format otel, as OpenTelemetry log records '
      + '(one OTLP/JSON request per line, for a collector); to stdout or --out FILE. With --follow it keeps writing what the daemon '
      + 'appends, and into a file it resumes after the last whole line there: a restarted exporter writes each event once'), ['data', 'log'])
    .addOption(new Option('--format <format>', 'ndjson: events as podledger stores them; otel: OpenTelemetry log records, secret hashes left out').choices(['ndjson', 'otel']).default('ndjson'))
    .option('--boot <n>', 'only this daemon run', bootArg)
    .option('--since <seq>', 'only events after this seq (to resume a stream elsewhere)', seqArg)
    .option('--follow', 'keep writing events as the daemon appends them, until SIGINT/SIGTERM (needs --data)')
    .option('--out <file>', 'write to this file (with --follow: continue it)')
    .action(async (o: cmd.Common & { boot?: number; out?: string; since?: number; follow?: boolean; format: 'ndjson' | 'otel' }) =>
      (await import('./export.js')).exportCommand(o, {
        format: o.format, ...(o.boot !== undefined ? { boot: o.boot } : {}), ...(o.out !== undefined ? { out: o.out } : {}),
        ...(o.since !== undefined ? { since: o.since } : {}), ...(o.follow ? { follow: true } : {}),
      }));
  withShared(program.command('import').argument('<file>', 'NDJSON export').summary('restore an export into --data (idempotent)')
    .description('restore an export into --data (idempotent: events already there are skipped)'), ['data', 'json'])
    .action(async (file: string, o: cmd.Common) => (await commands()).importCommand(o, file));
  withShared(program.command('compact').summary('remove old events, keeping a snapshot')
    .description('remove old events from --data, keeping a snapshot of the state they built and the why history of every existing container; refused while a daemon runs, never done implicitly'), ['data', 'json'])
    .option('--keep-boots <n>', 'keep every event of the last N daemon runs', wholeArg(0, 1_000_000, 'daemon runs to keep'))
    .option('--before <time>', 'remove events from before this time (ISO 8601, or ago: 30d)', timeArg)
    .option('--dry-run', 'say what would be removed (events, whole boots, the why history kept) and change nothing')
    .action(async (o: cmd.Common & { keepBoots?: number; before?: number; dryRun?: boolean }) => (await import('./compact.js')).compact(o));
}

/** An error's one line on stderr. Messages quote untrusted input (a line of a file): no terminal control gets through. */
const say = (message: string): void => void process.stderr.write(`podledger: ${printable(message, 8000, true)}\n`);

export async function main(argv: string[]): Promise<number> {
  const { code, failed } = await run(argv);
  // the flag is looked for in argv, not in parsed options, so a usage error in the same line is 1 too
  const detailed = argv.includes('--detailed-exitcode') && argv.slice(2).find((a) => !a.startsWith('-')) === 'plan';
  return detailed && failed ? PLAN_EXIT.error : code;
}

/** The exit code, and whether the command failed (a success may end with 2 under plan --detailed-exitcode). */
async function run(argv: string[]): Promise<{ code: number; failed: boolean }> {
  let ended: number = EXIT.ok;
  try {
    if (givesHttp(argv)) httpParser = (await import('../daemon/health-http.js')).parseHttpAddress;
    await buildProgram((c) => { ended = c; }).parseAsync(argv);
    return { code: ended, failed: false };
  } catch (err) {
    if (err instanceof CommanderError) {
      const shown = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      return shown ? { code: EXIT.ok, failed: false } : { code: EXIT.usage, failed: true };
    }
    if (err instanceof InvalidInputError && err.output) process.stdout.write(`${err.output}\n`);
    if (err instanceof PodledgerError) {
      say(err.message);
      return { code: EXIT[err.exit], failed: true };
    }
    say(err instanceof Error ? err.message : String(err));
    if (process.env.PODLEDGER_DEBUG) console.error(err);
    return { code: EXIT.runtime, failed: true };
  }
}
