// `npm run schema`: writes the manifest's JSON Schema and Markdown reference to docs/, and the type
// table of events/README.md (event-docs.ts; the rest of that README is hand-written), the command
// line reference docs/cli.md (cli-docs.ts), and the event catalogue's exact checks as source
// (src/core/exact-checks.generated.ts, exact-checks.ts).
// `--check`: writes nothing; exits 1 naming each file that is stale (for CI and tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../manifest/json-schema.js';
import { buildProgram } from '../cli/program.js';
import { CLI_DOCS, cliReference } from './cli-docs.js';
import { EVENTS_README, withEventTypes } from './event-docs.js';
import { EXACT_CHECKS_FILE, exactChecksModule } from './exact-checks.js';

// dist/tools/schema.js (or src/tools/schema.ts) → the repo root.
const root = fileURLToPath(new URL('../../', import.meta.url));

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: node dist/tools/schema.js [--check]\nunknown argument: ${unknown.join(' ')}\n`);
    return 2;
  }
  let stale = 0;
  const events = read(`${root}${EVENTS_README}`);
  if (events === undefined) throw new Error(`${EVENTS_README} is missing`);
  const files = { ...generatedFiles(), [EVENTS_README]: withEventTypes(events), [CLI_DOCS]: cliReference(buildProgram()), [EXACT_CHECKS_FILE]: exactChecksModule() };
  for (const [rel, content] of Object.entries(files)) {
    const file = `${root}${rel}`;
    const current = read(file);
    if (check) {
      if (current !== content) {
        stale++;
        process.stderr.write(`${rel} is stale: run npm run schema\n`);
      } else {
        process.stdout.write(`${rel} is up to date\n`);
      }
    } else if (current === content) {
      process.stdout.write(`${rel} unchanged\n`);
    } else {
      writeFileSync(file, content);
      process.stdout.write(`wrote ${rel} (${Buffer.byteLength(content)} bytes)\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
