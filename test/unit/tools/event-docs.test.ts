// events/README.md's type table is generated from the event schemas (src/tools/event-docs.ts, written
// by `npm run schema`): it is up to date, and it names every type with its versions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION } from '../../../src/core/events.js';
import { eventSchemas } from '../../../src/core/event-schemas.js';
import { BEGIN_MARKER, END_MARKER, EVENTS_README, eventTypesSection, withEventTypes } from '../../../src/tools/event-docs.js';

const { EVENT_SCHEMAS } = eventSchemas();

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}${EVENTS_README}`, 'utf8');

describe('the event catalogue in events/README.md', () => {
  it('given the event schemas, when the README\'s type table is generated again, then it is what the README holds (else: npm run schema)', () => {
    expect(withEventTypes(readme) === readme, `${EVENTS_README} is stale: run npm run schema`).toBe(true);
  });

  it('given the schemas, when the table is generated, then it has one row per event type, naming its versions, the last the current one', () => {
    const section = eventTypesSection();
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => /^\| `(\w+)`/.exec(r)?.[1]).sort()).toEqual(Object.keys(EVENT_SCHEMAS).sort());
    for (const [type, versions] of Object.entries(EVENT_SCHEMAS)) {
      const row = rows.find((r) => r.startsWith(`| \`${type}\` |`))!;
      expect(row.split(' | ')[1], type).toBe(Object.keys(versions).join(', '));
      expect(Object.keys(versions).at(-1), type).toBe(String(CURRENT_VERSION[type as keyof typeof CURRENT_VERSION]));
    }
    expect(section).toContain(`${rows.length} types.`);
  });

  it('given a README without the markers, when regenerated, then it fails saying which markers to put back', () => {
    expect(() => withEventTypes('# The event catalogue\n')).toThrow(BEGIN_MARKER);
    expect(() => withEventTypes(`${END_MARKER}\n${BEGIN_MARKER}\n`)).toThrow(/markers are missing/);
  });

  it('given the README, when its hand-written parts are looked for, then they are still there around the table', () => {
    const [before, after] = [readme.slice(0, readme.indexOf(BEGIN_MARKER)), readme.slice(readme.indexOf(END_MARKER))];
    expect(before).toContain('## Envelope');
    expect(after).toContain('## Versions');
    expect(after).toContain('## The library of captured boots');
  });
});
