// "Did you mean" (src/core/suggest.ts): case is ignored, a few edits are forgiven, and a name far
// from every known one gets no guess.
import { describe, expect, it } from 'vitest';
import { eventSchemas } from '../../../src/core/event-schemas.js';
import { didYouMean, editDistance } from '../../../src/core/suggest.js';

const { EVENT_SCHEMAS } = eventSchemas();

const TYPES = Object.keys(EVENT_SCHEMAS);

describe('editDistance', () => {
  it('given two words, when compared, then the count of single-letter inserts, deletes and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('plandecided', 'plandecidde')).toBe(2);
  });
});

describe('didYouMean over the event catalogue', () => {
  const guesses: [string, string][] = [
    ['planDecided', 'PlanDecided'],
    ['plandecided', 'PlanDecided'],
    ['PLANDECIDED', 'PlanDecided'],
    ['PlanDecide', 'PlanDecided'],
    ['PlanDeciddd', 'PlanDecided'],
    ['actionfailed', 'ActionFailed'],
    ['ActionFailes', 'ActionFailed'],
    ['ActonStarted', 'ActionStarted'],
  ];
  for (const [word, meant] of guesses) {
    it(`given '${word}', when matched against the event types, then it guesses ${meant}`, () => {
      expect(didYouMean(word, TYPES)).toBe(meant);
    });
  }

  for (const word of ['Plan', 'xyz', 'NoSuchType', 'Decided', '']) {
    it(`given '${word}', far from every type, when matched, then no guess`, () => {
      expect(didYouMean(word, TYPES)).toBeUndefined();
    });
  }
});
