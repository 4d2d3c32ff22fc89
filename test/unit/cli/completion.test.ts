// `podledger completion bash|zsh`: scripts made from the command definitions. The bash one is run
// for real: sourced in bash with COMP_WORDS/COMP_CWORD set, its function called, COMPREPLY read.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/cli/args.js';
import { buildProgram } from '../../../src/cli/program.js';
import { run } from './run.js';

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;
const program = buildProgram();
const commandNames = program.commands.map((c) => c.name());
const optionsOf = (name: string) => [...program.commands.find((c) => c.name() === name)!.options.map((o) => o.long!), '--help'];

let dir: string;
let bashScript: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podledger-completion-'));
  const r = await run(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  bashScript = join(dir, 'podledger.bash');
  writeFileSync(bashScript, r.stdout);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers when TAB is pressed after `words` (the last one being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `source '${bashScript}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _podledger; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('podledger completion bash', () => {
  it('given the script, when bash parses it (bash -n), then it is valid', () => {
    const r = spawnSync('bash', ['-n', bashScript], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('given "podledger ev", when TAB is pressed, then it completes to events', () => {
    expect(complete('podledger', 'ev')).toEqual(['events']);
  });

  it('given nothing typed after podledger, when TAB is pressed, then every command is offered', () => {
    expect(complete('podledger', '').sort()).toEqual([...commandNames, '--help', '--version'].sort());
  });

  it.each(commandNames)('given "podledger %s -", when TAB is pressed, then exactly the options of its definition are offered', (name) => {
    expect(complete('podledger', name, '-').sort()).toEqual(optionsOf(name).sort());
  });

  it('given --type, when TAB is pressed, then the event types of the catalogue are offered, a prefix narrowing them, after a first type too', () => {
    expect(complete('podledger', 'events', '--type', '').sort()).toEqual([...EVENT_TYPES].sort());
    expect(complete('podledger', 'events', '--type', 'PlanD')).toEqual(['PlanDecided']);
    expect(complete('podledger', 'events', '--type', 'PlanDecided', 'ActionF')).toEqual(['ActionFailed']);
    expect(complete('podledger', 'events', '--type', 'PlanDecided', '--fol')).toEqual(['--follow']);
  });

  it('given an option with choices or a shell argument, when TAB is pressed, then its choices are offered', () => {
    expect(complete('podledger', 'daemon', '--log-level', '').sort()).toEqual(['debug', 'error', 'info', 'warn']);
    expect(complete('podledger', 'completion', '').sort()).toEqual(['bash', 'zsh']);
  });

  it('given an option whose value is free text (--app), when TAB is pressed, then nothing is made up', () => {
    expect(complete('podledger', 'events', '--app', '')).toEqual([]);
  });
});

describe('podledger completion zsh', () => {
  it('given the script, when read, then it is a #compdef function naming every command, its options and the event types', async () => {
    const r = await run(['completion', 'zsh']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('#compdef podledger\n')).toBe(true);
    for (const name of commandNames) {
      expect(r.stdout).toContain(`'${name}:`);
      const section = r.stdout.slice(r.stdout.indexOf(`        ${name})\n`)).split(';;')[0]!;
      for (const flag of optionsOf(name)) expect(section, `${name} ${flag}`).toMatch(new RegExp(`'\\*?${flag}\\[`));
    }
    expect(r.stdout).toContain(`(${EVENT_TYPES.join(' ')})`);
  });

  it.skipIf(!hasZsh)('given the script, when zsh parses it (zsh -n), then it is valid', async () => {
    const file = join(dir, '_podledger');
    writeFileSync(file, (await run(['completion', 'zsh'])).stdout);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('given a shell it does not know, when asked, then it is a usage error naming the choices', async () => {
    const r = await run(['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh/);
  });
});
