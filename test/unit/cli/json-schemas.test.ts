// Every --json output has a JSON Schema in docs/json/ (one per command; status, replay and why have a
// second form). Each command is run with --json on captured logs (events/*.ndjson through --log, or
// a data dir imported from one) and what it prints is validated against its schema with ajv.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/cli/args.js';
import { buildProgram } from '../../../src/cli/program.js';
import { JSON_SCHEMAS } from '../../../src/tools/cli-docs.js';
import { REPO_ROOT } from '../../support/cli.js';
import { run } from './run.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM + NodeNext typings.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const SCHEMAS = join(REPO_ROOT, 'docs', 'json');
const CRASH_LOOP = join(REPO_ROOT, 'events', 'crash-loop.ndjson');
const ROTATION = join(REPO_ROOT, 'events', 'secret-rotation.ndjson');
const DEMO = join(REPO_ROOT, 'examples', 'demo');

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const schemaFiles = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
const validators = new Map<string, ValidateFunction>(schemaFiles.map((f) => [f.replace('.schema.json', ''), ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object)]));
/** The schemas a case below validated an output against. */
const used = new Set<string>();

function expectValid(schema: string, value: unknown): void {
  const validate = validators.get(schema);
  expect(validate, `docs/json/${schema}.schema.json`).toBeDefined();
  used.add(schema);
  expect(validate!(value), `${schema}: ${ajv.errorsText(validate!.errors)}`).toBe(true);
}

let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'podledger-json-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a command with --json and returns what it printed, parsed; `code` is the exit it must end with. */
async function json(args: string[], code = 0): Promise<unknown> {
  const r = await run([...args, '--json']);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  return JSON.parse(r.stdout);
}

describe('the JSON Schemas of --json outputs (docs/json)', () => {
  it('given the command definitions, when a command takes --json for its output, then docs/json has its schema', () => {
    // daemon's --json is the format of its logs, not an output
    const withJson = buildProgram().commands.filter((c) => c.name() !== 'daemon' && c.options.some((o) => o.long === '--json')).map((c) => c.name());
    for (const name of withJson) expect(schemaFiles, name).toContain(`${name}.schema.json`);
    // and docs/cli.md names each schema under its command (src/tools/cli-docs.ts)
    expect(Object.keys(JSON_SCHEMAS).sort()).toEqual([...withJson].sort());
    expect(Object.values(JSON_SCHEMAS).flat().map((s) => `${s}.schema.json`).sort()).toEqual(schemaFiles);
  });

  it('given a captured crash loop, when its events are printed as JSON, then each line is an event envelope of a known type', async () => {
    const r = await run(['events', '--log', CRASH_LOOP, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.length).toBeGreaterThan(10);
    for (const e of lines) {
      expectValid('events', e);
      expect(EVENT_TYPES).toContain(e.type);
    }
  });

  it('given the crash loop, when status is asked for the node and for one app, then both forms match their schemas', async () => {
    expectValid('status', await json(['status', '--log', CRASH_LOOP]));
    expectValid('status-app', await json(['status', 'crasher', '--log', CRASH_LOOP]));
  });

  it('given the crash loop, when why is asked (last, --all, --at, and for an app with nothing to explain), then each matches the schema', async () => {
    expectValid('why', await json(['why', 'crasher', '--log', CRASH_LOOP]));
    expectValid('why', await json(['why', 'crasher', '--all', '--log', CRASH_LOOP]));
    expectValid('why', await json(['why', 'crasher', '--at', '20', '--log', CRASH_LOOP]));
    expectValid('why', await json(['why', 'nobody', '--log', CRASH_LOOP], 1));
  });

  it('given the crash loop, when replayed and checked, then the state and the check match their schemas', async () => {
    expectValid('replay', await json(['replay', '--log', CRASH_LOOP]));
    expectValid('replay', await json(['replay', '--until', '10', '--log', CRASH_LOOP]));
    expectValid('replay-check', await json(['replay', '--check', '--log', CRASH_LOOP]));
  });

  it('given two captured logs, when points are diffed, then the changes match the schema', async () => {
    expectValid('diff', await json(['diff', '1', '32', '--log', CRASH_LOOP]));
    expectValid('diff', await json(['diff', '11', '18', '--log', ROTATION]));
  });

  it('given the demo apps and a broken one, when validated, then both the clean and the failing outputs match the schema', async () => {
    const args = ['validate', '--policy', join(DEMO, 'policy.yml'), '--secrets', join(DEMO, 'secrets')];
    expectValid('validate', await json([...args, '--apps', join(DEMO, 'apps')]));
    const broken = join(tmp, 'apps');
    mkdirSync(join(broken, 'bad'), { recursive: true });
    writeFileSync(join(broken, 'bad', 'manifest.yml'), 'image: 3\nno_such_field: true\n');
    const failed = await json([...args, '--apps', broken], 1) as { errors: unknown[] };
    expect(failed.errors.length).toBeGreaterThan(0);
    expectValid('validate', failed);
  });

  it('given a data dir imported from the crash loop, when imported again and compacted (dry run, nothing to do, done), then each output matches', async () => {
    const data = join(tmp, 'data');
    expectValid('import', await json(['import', CRASH_LOOP, '--data', data]));
    expectValid('import', await json(['import', CRASH_LOOP, '--data', data]));
    expectValid('compact', await json(['compact', '--keep-boots', '0', '--dry-run', '--data', data]));
    expectValid('compact', await json(['compact', '--keep-boots', '5', '--dry-run', '--data', data]));
    expectValid('compact', await json(['compact', '--keep-boots', '5', '--data', data]));
    expectValid('compact', await json(['compact', '--keep-boots', '0', '--data', data]));
    // the compacted data dir is read as the log was
    expectValid('status', await json(['status', '--data', data]));
    expectValid('replay', await json(['replay', '--data', data]));
  });

  it('given the cases above, when they have run, then every schema but plan\'s (it needs live podman: test/podman) was exercised', () => {
    expect([...validators.keys()].filter((s) => !used.has(s))).toEqual(['plan']);
  });
});
