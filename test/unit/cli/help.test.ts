// Per-command help: each command's --help lists exactly the options that command accepts (as its
// definition in src/cli/program.ts declares them), and two examples that its definition parses.
// The top-level --help is an overview: one line a command.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import { examplesOf } from '../../../src/cli/examples.js';
import { run } from './run.js';

const commands = () => buildProgram().commands.filter((c) => c.name() !== 'help');
const names = commands().map((c) => c.name());
const longFlags = (c: Command) => c.options.map((o) => o.long!);

/** The long flags an Options: section of a help text lists. */
function listedOptions(help: string): string[] {
  const section = help.slice(help.indexOf('\nOptions:\n'), help.indexOf('\nExamples:'));
  return [...section.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
}

/** An example's words as a shell would pass them, up to a redirection. */
function words(example: string): string[] {
  const all = example.split(/\s+/);
  const cut = all.findIndex((w) => w.startsWith('>'));
  return all.slice(1, cut < 0 ? undefined : cut);
}

describe('podledger <command> --help', () => {
  it.each(names)('given %s, when asked for its help, then it exits 0 listing its own options only, and two examples', async (name) => {
    const r = await run([name, '--help']);
    expect(r.code, r.stderr).toBe(0);
    const command = commands().find((c) => c.name() === name)!;
    expect(listedOptions(r.stdout).sort()).toEqual([...longFlags(command), '--help'].sort());
    const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n')).split('\n').filter((l) => /^ {2}podledger /.test(l));
    expect(r.stdout).toContain('Examples:');
    expect(examples).toHaveLength(2);
    for (const e of examples) expect(e.trim().startsWith(`podledger ${name}`), e).toBe(true);
  });

  it.each(names)('given %s, when given an option only another command has, then it is a usage error (exit 2), as help says', async (name) => {
    const own = new Set(longFlags(commands().find((c) => c.name() === name)!));
    const others = [...new Set(commands().flatMap(longFlags))].filter((f) => !own.has(f));
    for (const flag of others) {
      const r = await run([name, flag, 'x']);
      expect(r.code, `${name} ${flag}`).toBe(2);
      expect(r.stderr, `${name} ${flag}`).toContain(`unknown option '${flag}'`);
    }
  });

  it.each(names)('given the examples of %s, when parsed by its definition, then every option is known and its values valid', (name) => {
    expect(examplesOf(name)).toHaveLength(2);
    for (const example of examplesOf(name)) {
      const command = buildProgram().commands.find((c) => c.name() === name)!;
      const [first, ...rest] = words(example);
      expect(first, example).toBe(name);
      const parsed = command.parseOptions(rest);
      expect(parsed.unknown, example).toEqual([]);
      const required = command.registeredArguments.filter((a) => a.required).length;
      expect(parsed.operands.length, example).toBeGreaterThanOrEqual(required);
      expect(parsed.operands.length, example).toBeLessThanOrEqual(command.registeredArguments.length);
    }
  });
});

describe('podledger --help', () => {
  it('given the program, when asked for its help, then it lists every command on one line each', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('Commands:\n') + 'Commands:\n'.length).split('\n\n')[0]!.split('\n');
    for (const line of section) expect(line, 'a command line wrapped').toMatch(/^ {2}\S/);
    expect(section.map((l) => l.trim().split(' ')[0])).toEqual([...names, 'help']);
  });
});
