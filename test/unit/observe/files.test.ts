// File observers against a real temp dir: manifests folder and the host facts override file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFactsFile } from '../../../src/observe/host-facts.js';
import { readManifests } from '../../../src/observe/manifests.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'podledger-observe-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const app = async (id: string, body: string, files: Record<string, string> = {}) => {
  await mkdir(join(dir, id), { recursive: true });
  await writeFile(join(dir, id, 'manifest.yml'), `app: { id: ${id}, name: ${id}, version: "1" }\n${body}`);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, id, name), text);
};

describe('readManifests', () => {
  it('given a valid app, an app with a missing template and one depending on nothing that exists, when read, then each gets its verdict', async () => {
    await app('web', 'container:\n  image: x/web\n  volumes: [{ type: bind, source: /srv/web, target: /usr/share/web }]\nfiles:\n  - { path: /srv/web/index.html, template: index.tmpl }\n', { 'index.tmpl': 'ip={{HOST_IP}}\n' });
    await app('ui', 'container:\n  image: x/ui\n  volumes: [{ type: bind, source: /srv/ui, target: /etc/ui }]\nfiles:\n  - { path: /srv/ui/a.conf, template: missing.tmpl }\n');
    await app('lnd', 'container: { image: x/lnd }\ndependencies: [bitcoind]\n');
    await mkdir(join(dir, 'not-an-app'));

    const readings = await readManifests(dir);
    expect([...readings.keys()].sort()).toEqual(['lnd', 'ui', 'web']);
    const web = readings.get('web');
    expect(web?.ok && web.templates).toEqual({ 'index.tmpl': 'ip={{HOST_IP}}\n' });
    const ui = readings.get('ui');
    expect(!ui?.ok && ui?.errors[0]).toMatchObject({ line: 6, path: 'files[0].template', message: expect.stringContaining('template file not found') });
    const lnd = readings.get('lnd');
    expect(!lnd?.ok && lnd?.errors[0]?.message).toBe("unknown dependency 'bitcoind': no apps/bitcoind/manifest.yml");
  });
});

describe('readFactsFile', () => {
  it('given valid facts, when read, then they are returned', async () => {
    await writeFile(join(dir, 'f.json'), '{"HOST_IP": "10.0.0.9", "DISK_GB": 900}');
    expect(await readFactsFile(join(dir, 'f.json'))).toEqual({ HOST_IP: '10.0.0.9', DISK_GB: 900 });
  });

  it.each([
    ['{"HOST_IP": ', /not valid JSON/],
    ['[1]', /must be a JSON object keyed by fact name/],
    ['{"HOST_IPP": "x"}', /unknown fact 'HOST_IPP': known facts are HOST_IP, HOST_MDNS, DISK_GB/],
    ['{"HOST_IP": true}', /fact 'HOST_IP' must be a string or number/],
  ])('given %s, when read, then the error names the file and the problem', async (text, message) => {
    const file = join(dir, 'f.json');
    await writeFile(file, text);
    await expect(readFactsFile(file)).rejects.toThrow(new RegExp(`cannot use host facts file: ${file}: ${message.source}`));
  });

  it('given a path to nothing or to a folder, when read, then the error names the file, says why in words and gives the fix', async () => {
    const nowhere = join(dir, 'none.json');
    await expect(readFactsFile(nowhere)).rejects.toThrow(`cannot use host facts file: ${nowhere}: no such file; give --host-facts the path of a JSON object of facts (HOST_IP, HOST_MDNS, DISK_GB), or leave --host-facts out`);
    await expect(readFactsFile(dir)).rejects.toThrow(`cannot use host facts file: ${dir}: is a folder, not a file; give --host-facts`);
  });
});
