// A draft citing an earlier draft of the same append call (causedByDraft): the plan and the starts it
// causes are written in one durable batch, and each start cites the plan's seq once it is known.
import { describe, expect, it } from 'vitest';
import type { Draft } from '../../../src/core/events.js';
import { InvalidEventError } from '../../../src/log/errors.js';
import { events, secret, useTempDir } from './helpers.js';

describe('causedByDraft', () => {
  const tmp = useTempDir();

  it('given calls appended at once (one group commit), when a draft cites an earlier one of its call, then it carries that draft\'s seq, stored and read back', async () => {
    const store = await tmp.open();
    const cites = (name: string): Draft[] => [secret(name), { ...secret(`${name}-2`), causedByDraft: 0 }, { ...secret(`${name}-3`), causedByDraft: 1 }];
    const [a, b] = await Promise.all([store.append(cites('a')), store.append(cites('b'))]);
    for (const call of [a!, b!]) expect(call.map((e) => e.causedBy)).toEqual([undefined, call[0]!.seq, call[1]!.seq]);
    const read = await events(store.read());
    expect(read.map((e) => [e.seq, e.causedBy])).toEqual([...a!, ...b!].map((e) => [e.seq, e.causedBy]));
    expect(read[1]).not.toHaveProperty('causedByDraft');
    // the envelope's keys in their stored order: causedBy where it always is, before data
    expect(Object.keys(read[1]!)).toEqual(['seq', 'id', 'type', 'v', 'at', 'boot', 'bootSeq', 'source', 'causedBy', 'data']);
  });

  it.each([
    ['itself', 1],
    ['a later draft', 2],
    ['a negative index', -1],
    ['a fraction', 0.5],
  ])('given the second draft of a call citing %s, when appended, then the call is refused and nothing is written', async (_what, index) => {
    const store = await tmp.open();
    await expect(store.append([secret('x'), { ...secret('y'), causedByDraft: index }])).rejects.toBeInstanceOf(InvalidEventError);
    expect(store.lastSeq).toBe(0);
  });

  it('given both causedBy and causedByDraft, when appended, then the call is refused: one cause only', async () => {
    const store = await tmp.open();
    await expect(store.append([secret('x'), { ...secret('y'), causedBy: 1, causedByDraft: 0 }])).rejects.toThrow(/both given/);
  });
});
