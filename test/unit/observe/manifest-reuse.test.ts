// A resync reads the apps folder again: an unchanged manifest's parse is reused, a changed one is
// parsed again, and whatever depends on more than the text (the catalog, the policy) is judged anew.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifests } from '../../../src/observe/manifests.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'podledger-reuse-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const app = async (id: string, body: string) => {
  await mkdir(join(dir, id), { recursive: true });
  await writeFile(join(dir, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }\n${body}`);
};
const manifestOf = (r: Awaited<ReturnType<typeof readManifests>>, id: string) => {
  const reading = r.get(id);
  return reading?.ok ? reading.manifest : undefined;
};

describe('readManifests, read again', () => {
  it('given an unchanged manifest, when read twice, then the second reading is the same and its parse is reused', async () => {
    await app('web', 'container: { image: x/web }\n');
    const first = await readManifests(dir);
    const second = await readManifests(dir);
    expect(second).toEqual(first);
    expect(manifestOf(second, 'web')).toBe(manifestOf(first, 'web'));
  });

  it('given a manifest edited between reads, when read again, then the new text is parsed and its hash changes', async () => {
    await app('web', 'container: { image: x/web }\n');
    const first = await readManifests(dir);
    await app('web', 'container: { image: x/web2 }\n');
    const second = await readManifests(dir);
    expect(manifestOf(second, 'web')).toMatchObject({ container: { image: 'x/web2' } });
    expect(second.get('web')?.hash).not.toBe(first.get('web')?.hash);
  });

  it('given a rejected manifest, when read twice, then it is rejected both times with the same errors', async () => {
    await app('web', 'container: { image: 7 }\n');
    const first = await readManifests(dir);
    const second = await readManifests(dir);
    expect(first.get('web')?.ok).toBe(false);
    expect(second.get('web')).toEqual(first.get('web'));
  });

  it('given an unchanged manifest whose dependency disappears, when read again, then the catalog rule rejects it anew', async () => {
    await app('db', 'container: { image: x/db }\n');
    await app('web', 'container: { image: x/web }\ndependencies: [db]\n');
    expect((await readManifests(dir)).get('web')?.ok).toBe(true);
    await rm(join(dir, 'db'), { recursive: true });
    const again = await readManifests(dir);
    const web = again.get('web');
    expect(!web?.ok && web?.errors[0]?.message).toBe("unknown dependency 'db': no apps/db/manifest.yml");
  });
});
