// The type names the command line offers (src/core/event-types.ts) are the catalogue's: the
// compiler checks it in events.ts, this checks the built values.
import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_NAMES } from '../../../src/core/event-types.js';
import { CURRENT_VERSION } from '../../../src/core/events.js';
import { eventSchemas } from '../../../src/core/event-schemas.js';

const { EVENT_SCHEMAS } = eventSchemas();

describe('EVENT_TYPE_NAMES', () => {
  it('given the event catalogue, when its types are listed, then they are exactly the names, each once', () => {
    expect([...EVENT_TYPE_NAMES].sort()).toEqual(Object.keys(EVENT_SCHEMAS).sort());
    expect(new Set(EVENT_TYPE_NAMES).size).toBe(EVENT_TYPE_NAMES.length);
    expect(Object.keys(CURRENT_VERSION).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
  });
});
