// `podledger <command>`: option parsing and exit codes (main.ts runs it). Commands live in ./commands.ts, ./replay.ts, ./compact.ts.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseHttpAddress } from '../daemon/health-http.js';
import { LOG_FORMATS, LOG_LEVELS } from '../daemon/logger.js';
import { PodledgerError } from '../core/errors.js';
import { printable } from '../core/render.js';
import { defaultPodmanSocket } from '../podman/socket.js';
import { VERSION } from '../version.js';
import { anyPointArg, bootArg, boundArg, eventTypeArg, MAX_TIMER_SECONDS, secondsArg, seqArg, timeArg, wholeArg } from './args.js';
import * as cmd from './commands.js';
import * as replay from './replay.js';
import { status } from './status.js';

/** 0 ok; 1 invalid input or divergence; 2 usage; 3 runtime failure. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, runtime: 3 } as const;

/** `plan --detailed-exitcode`, as Terraform's: 0 nothing to do, 2 changes pending, 1 any error (a usage error too: 2 is taken). */
export const PLAN_EXIT = { none: 0, error: 1, changes: 2 } as const;

/** Most apps a node acts on at once, and the most events between two snapshots. */
const MAX_CONCURRENCY = 256;
const MAX_SNAPSHOT_EVERY = 100_000_000;

function withCommon(c: Command): Command {
  return c
    .addOption(new Option('--apps <dir>', 'folder of app manifests (<dir>/<id>/manifest.yml)').default('apps'))
    .addOption(new Option('--data <dir>', 'event log and node key folder').env('PODLEDGER_DATA').default('/var/lib/podledger'))
    .addOption(new Option('--podman-socket <path>', "podman's API socket; default: $CONTAINER_HOST (unix://PATH), else /run/podman/podman.sock")
      .env('PODLEDGER_PODMAN_SOCKET').default(defaultPodmanSocket(process.env)))
    .option('--host-facts <file>', 'JSON object of host facts (HOST_IP, HOST_MDNS, DISK_GB) overriding the OS; watched')
    .option('--secrets <dir>', 'folder of secret files named by secret_env')
    .addOption(new Option('--policy <file>', 'node safety policy (YAML: data_root, allow); default /etc/podledger/policy.yml when present').env('PODLEDGER_POLICY'))
    .option('--json', 'machine-readable output');
}

const offline = (c: Command) => c.option('--log <file>', "read a captured log (NDJSON from 'podledger export') instead of --data");

/** `setExit`: a command that ends well with another code than 0 (plan --detailed-exitcode) says it here. */
export function buildProgram(setExit: (code: number) => void = () => {}): Command {
  const program = new Command('podledger')
    .description('Keeps podman containers converged on app manifests; every observation and decision is an event you can replay.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withCommon(program.command('daemon').description('observe, log, plan and act until SIGTERM/SIGINT; stops cleanly, leaves containers running'))
    .option('--resync <seconds>', `full re-read of podman, manifests, facts and secrets every so often (appends only differences); 1 to ${MAX_TIMER_SECONDS}`, secondsArg(1, MAX_TIMER_SECONDS), 60)
    .option('--concurrency <n>', `how many apps may be acted on at once; 1 to ${MAX_CONCURRENCY}`, wholeArg(1, MAX_CONCURRENCY, 'apps acted on at once'), 8)
    .addOption(new Option('--snapshot-every <events>', 'write a projection snapshot every so many events (start-up folds only the tail)')
      .argParser(wholeArg(1, MAX_SNAPSHOT_EVERY, 'events between snapshots')).env('PODLEDGER_SNAPSHOT_EVERY'))
    .option('--control-group <group>', 'a group (name or id) that may also use the control socket (<data>/control.sock, 0660; the data dir becomes 0710); default: root only (0600)')
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices(LOG_LEVELS).default('info').env('PODLEDGER_LOG_LEVEL'))
    .addOption(new Option('--log-format <format>', 'text: logfmt lines; json: one object a line (default: json with --json, else text)').choices(LOG_FORMATS).env('PODLEDGER_LOG_FORMAT'))
    .option('--http <[addr:]port>', 'also serve /healthz, /readyz, /metrics over TCP (always on the control socket); a port alone binds 127.0.0.1', (v: string) => {
      const at = parseHttpAddress(v);
      if (typeof at === 'string') throw new InvalidArgumentError(at);
      return at;
    })
    .action((o: cmd.Common & cmd.DaemonOutput & { resync: number; concurrency: number; snapshotEvery?: number; controlGroup?: string }) => cmd.daemon(o, o.resync, o.concurrency, o.snapshotEvery, o.controlGroup));
  withCommon(program.command('validate').description('check every manifest; errors as file:line:col: field: message (exit 1 if any)'))
    .action((o: cmd.Common) => cmd.validate(o));
  withCommon(program.command('plan').description('dry run against live podman: what would be done and why; changes nothing'))
    .option('--detailed-exitcode', `exit ${PLAN_EXIT.none} when nothing is to be done, ${PLAN_EXIT.changes} when changes are pending (a wait or block alone is none), ${PLAN_EXIT.error} on any error`)
    .action(async (o: cmd.Common & { detailedExitcode?: boolean }) => {
      const summary = await cmd.planCommand(o);
      if (o.detailedExitcode) setExit(summary.changes > 0 ? PLAN_EXIT.changes : PLAN_EXIT.none);
    });
  offline(withCommon(program.command('status').argument('[app]', 'one app in depth: desired vs observed, container, last exit, restarts, health, dependencies, last why')
    .description("the node's health: the daemon (over its control socket; without one, what the log says), podman as the daemon last found it, the log's last seq; then per app: desired vs observed, last exit (code, signal, OOM kill), restarts, why it waits, pending actions, last failure")))
    .option('--watch', "render again on each change of the log (through the daemon's control socket; waits for a daemon while none runs); Ctrl-C stops, exit 0")
    .action(async (app: string | undefined, o: cmd.Common & { watch?: boolean }) => {
      if (!o.watch) return status(o, app);
      return (await import('./watch.js')).watchFromCommandLine(o, () => status(o, app));
    });
  offline(withCommon(program.command('events').description('the event log, filtered; --follow goes on printing events as the daemon appends them')))
    .option('--app <id>', 'only events of this app')
    .option('--boot <n>', 'only events of this daemon run', bootArg)
    .option('--since <seq|time>', 'only events after this seq, or at or after this time (ISO 8601, or ago: 10m, 2h, 3d)', boundArg)
    .option('--until <seq|time>', 'only events up to this seq, or at or before this time (ISO 8601, or ago: 10m, 2h, 3d)', boundArg)
    .option('--type <type...>', 'only events of these types (as the event catalogue spells them: PlanDecided)', eventTypeArg)
    .option('--follow', "then wait for new events and print them as they come (through the daemon's control socket; waits for a daemon while none runs; Ctrl-C stops)")
    .action((o: cmd.Common & cmd.EventFilter) => cmd.events(o, o));
  offline(withCommon(program.command('why').argument('<app>', 'app id').description("why APP's container was last created, recreated, started or removed: action ← reasons ← observations")))
    .option('--all', 'every such action, oldest first')
    .option('--at <seq|time>', 'as of this seq or time (ISO 8601): the last such action at or before it (with --all: every one up to it)', boundArg)
    .action((app: string, o: cmd.Common & { all?: boolean; at?: cmd.Bound }) => cmd.why(o, app, Boolean(o.all), o.at));
  offline(withCommon(program.command('replay').description('the projected state at a point, offline from --log or --data (never contacts podman); --check re-plans every recorded decision')))
    .option('--until <seq>', 'stop after this seq', seqArg)
    .option('--boot <n>', 'stop at the end of this daemon run', bootArg)
    .option('--at <seq|time>', 'stop at this seq, or at the last event at or before this time (ISO 8601)', boundArg)
    .option('--check', "re-run today's planner at every recorded decision; exit 1 at the first divergence, or if nothing could be checked")
    .action((o: cmd.Common & replay.ReplayOptions) => replay.replay(o, o));
  offline(withCommon(program.command('diff').addArgument(new Argument('<from>', 'seq, boot:N or time').argParser(anyPointArg)).addArgument(new Argument('<to>', 'seq, boot:N or time').argParser(anyPointArg))
    .description('what changed in desired and observed state between two points, per app and field')))
    .action((from: replay.Point, to: replay.Point, o: cmd.Common, c: Command) => replay.diff(o, [from, c.args[0]!], [to, c.args[1]!]));
  offline(withCommon(program.command('export').description('write the log as NDJSON (stdout, or --out FILE)')))
    .option('--boot <n>', 'only this daemon run', bootArg)
    .option('--out <file>', 'write to this file')
    .action((o: cmd.Common & { boot?: number; out?: string }) => cmd.exportCommand(o, o.boot, o.out));
  withCommon(program.command('import').argument('<file>', 'NDJSON export').description('restore an export into --data (idempotent: events already there are skipped)'))
    .action((file: string, o: cmd.Common) => cmd.importCommand(o, file));
  withCommon(program.command('compact').description('remove old events from --data, keeping a snapshot of the state they built and the why history of every existing container; refused while a daemon runs, never done implicitly'))
    .option('--keep-boots <n>', 'keep every event of the last N daemon runs', wholeArg(0, 1_000_000, 'daemon runs to keep'))
    .option('--before <time>', 'remove events from before this time (ISO 8601, or ago: 30d)', timeArg)
    .option('--dry-run', 'say what would be removed (events, whole boots, the why history kept) and change nothing')
    .action(async (o: cmd.Common & { keepBoots?: number; before?: number; dryRun?: boolean }) => (await import('./compact.js')).compact(o));
  return program;
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
    await buildProgram((c) => { ended = c; }).parseAsync(argv);
    return { code: ended, failed: false };
  } catch (err) {
    if (err instanceof CommanderError) {
      const shown = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      return shown ? { code: EXIT.ok, failed: false } : { code: EXIT.usage, failed: true };
    }
    if (err instanceof cmd.InvalidInputError && err.output) process.stdout.write(`${err.output}\n`);
    if (err instanceof PodledgerError) {
      say(err.message);
      return { code: EXIT[err.exit], failed: true };
    }
    say(err instanceof Error ? err.message : String(err));
    if (process.env.PODLEDGER_DEBUG) console.error(err);
    return { code: EXIT.runtime, failed: true };
  }
}
