// The CLI bundle bin/podledger.js loads (src/tools/build-cli.ts, written by `npm run build`): what
// makes it start fast stays true. Its behaviour is every test that runs bin/podledger.js.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
import { LAZY_PARTS } from '../../../src/tools/bundle-lazy.js';

const dir = join(REPO_ROOT, 'dist', 'bundle');
const files = readdirSync(dir);
const code = files.filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);

describe('the CLI bundle', () => {
  it('given the build, when the bundle is listed, then every file is in one folder, so the paths its chunks are given (the web page, ../web/ui/) hold from each', () => {
    expect(files).toContain('main.js');
    expect(files.filter((f) => statSync(join(dir, f)).isDirectory())).toEqual([]);
    expect(statSync(join(dir, '../web/ui/index.html')).isFile()).toBe(true);
  });

  it("given the build, when the bundle is read, then zod's locales other than English are not in it (imported as `* as z`, not `{ z }`, whose namespace object kept all 62)", () => {
    const german = readFileSync(join(REPO_ROOT, 'node_modules/zod/v4/locales/de.js'), 'utf8');
    expect(german).toContain('erwartet'); // the marker below is one of the locale's own words
    expect(code.filter(([, text]) => text.includes('erwartet')).map(([f]) => f)).toEqual([]);
  });

  it('given the build, when the bundle is read, then what has native parts or files of its own is loaded from node_modules on first use (src/tools/bundle-lazy.ts), not bundled', () => {
    for (const { id, from } of LAZY_PARTS) expect(code.some(([, text]) => text.includes(`.load("${id}", "${from}")`)), id).toBe(true);
    // node-gyp-build (classic-level's binding finds its .node file from its own folder), ssh2 (optional
    // native parts) and dockerode's gRPC session (.proto files) stay out of the bundle
    for (const marker of ['prebuilds', 'ssh2', '@grpc/', 'protobufjs']) expect(code.filter(([, text]) => text.includes(marker)).map(([f]) => f), marker).toEqual([]);
  });
});
