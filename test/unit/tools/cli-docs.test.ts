// docs/cli.md is generated from the command definitions (src/tools/cli-docs.ts, written by
// `npm run schema`): it is up to date, and it documents every command with its options and examples.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { examplesOf } from '../../../src/cli/examples.js';
import { CLI_DOCS, cliReference } from '../../../src/tools/cli-docs.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the command line reference in docs/cli.md', () => {
  it('given the command definitions, when the reference is generated again, then it is what docs/cli.md holds (else: npm run schema)', () => {
    const committed = readFileSync(`${root}${CLI_DOCS}`, 'utf8');
    expect(cliReference(buildProgram()) === committed, `${CLI_DOCS} is stale: run npm run schema`).toBe(true);
  });

  it('given the program, when the reference is generated, then each command has a section with its arguments, options, defaults and examples', () => {
    const program = buildProgram();
    const text = cliReference(program);
    for (const c of program.commands.filter((x) => x.name() !== 'help')) {
      const section = text.slice(text.indexOf(`\n## ${c.name()}\n`)).split('\n## ')[1]!;
      expect(section, c.name()).toContain(`podledger ${c.name()} ${c.usage()}`);
      for (const a of c.registeredArguments) expect(section, `${c.name()} ${a.name()}`).toContain(a.name());
      for (const o of c.options) {
        expect(section, `${c.name()} ${o.long}`).toContain(`| \`${o.flags}\` |`);
        if (typeof o.defaultValue === 'number') expect(section, `${c.name()} ${o.long}`).toContain(`\`${o.defaultValue}\``);
      }
      for (const e of examplesOf(c.name())) expect(section, c.name()).toContain(e);
    }
  });

  it('given the events command, when documented, then options it does not take (--apps, --podman-socket) are not in its section', () => {
    const text = cliReference(buildProgram());
    const events = text.slice(text.indexOf('\n## events\n')).split('\n## ')[1]!;
    expect(events).not.toContain('--apps');
    expect(events).not.toContain('--podman-socket');
  });
});
