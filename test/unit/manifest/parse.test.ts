// Manifest validation: every error names file:line:col and the field path.
import { describe, expect, it } from 'vitest';
import { validateCatalog } from '../../../src/manifest/catalog.js';
import { formatManifestError, parseManifest } from '../../../src/manifest/parse.js';

const FILE = 'apps/web/manifest.yml';
const errorsOf = (text: string, id = 'web') => {
  const r = parseManifest(text, FILE, id);
  return r.ok ? [] : r.errors.map(formatManifestError);
};

const valid = `app:
  id: web
  name: Web
  version: 1.0.0
container:
  image: example/web:1
`;

describe('parseManifest', () => {
  it('given a valid manifest, when parsed, then defaults are filled', () => {
    const r = parseManifest(valid, FILE, 'web');
    expect(r.ok && r.manifest.container).toMatchObject({ network: 'podledger', restart: 'always', ports: [], custom_args: [] });
  });

  it('given an unknown key, when parsed, then the error points at the key', () => {
    expect(errorsOf(`${valid}  imgae: x\n`)).toEqual([`${FILE}:7:3: container.imgae: unknown key 'imgae': remove it or check its spelling`]);
  });

  it('given both image and build, when parsed, then it says exactly one is required', () => {
    expect(errorsOf(`${valid}  build: { context: . }\n`)).toEqual([`${FILE}:6:10: container.image: exactly one of image or build is required`]);
  });

  it('given an unknown placeholder, a bad secret file and a duplicate env key, when parsed, then each is reported at its line', () => {
    const text = `${valid}  environment: { URL: x }
  derived_env:
    - { key: URL, template: "http://{{HOST_IPP}}/" }
  secret_env:
    - { key: PW, secret_file: ../etc/shadow }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:9:29: container.derived_env[0].template: unknown placeholder {{HOST_IPP}}: known facts are HOST_IP, HOST_MDNS, DISK_GB`,
      `${FILE}:11:31: container.secret_env[0].secret_file: must be a file name in the secrets dir (no '/' or '..')`,
      `${FILE}:9:14: container.derived_env[0].key: duplicate env key URL (also in environment)`,
    ]);
  });

  it('given empty custom_args elements, when parsed, then the element is named', () => {
    expect(errorsOf(`${valid}  custom_args: ["--ok", ""]\n`)).toEqual([`${FILE}:7:25: container.custom_args[1]: must not be empty`]);
  });

  it('given YAML that does not parse, when parsed, then the syntax error has a position', () => {
    expect(errorsOf('app: [unclosed\n')[0]).toMatch(/^apps\/web\/manifest\.yml:\d+:\d+: \(yaml\): /);
  });

  it('given an id that differs from the folder, when parsed, then it says so', () => {
    expect(errorsOf(valid, 'other')).toEqual([`${FILE}:2:7: app.id: must equal the folder name 'other' (got 'web')`]);
  });
});

describe('validateCatalog', () => {
  const entry = (id: string, extra: string) => {
    const file = `apps/${id}/manifest.yml`;
    const text = `app: { id: ${id}, name: ${id}, version: "1" }\ncontainer:\n  image: x/${id}\n${extra}`;
    const r = parseManifest(text, file, id);
    if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
    return { id, file, manifest: r.manifest, locate: r.locate };
  };

  it('given a dependency cycle, an unknown dependency and a shared host port, when validated, then all are reported', () => {
    const entries = [
      entry('a', 'dependencies: [b]\n'),
      entry('b', 'dependencies: [a, ghost]\n'),
      entry('c', '  ports: [{ host: 80, container: 80 }]\n'),
      entry('d', '  ports: [{ host: 80, container: 8080 }]\n'),
    ];
    const errors = validateCatalog(entries, new Set(['a', 'b', 'c', 'd']));
    expect(errors.get('b')?.map((e) => e.message)).toEqual(expect.arrayContaining(["unknown dependency 'ghost': no apps/ghost/manifest.yml", 'dependency cycle: a → b → a']));
    expect(errors.get('a')?.map((e) => e.message)).toEqual(['dependency cycle: a → b → a']);
    expect(errors.get('d')?.[0]).toMatchObject({ line: 4, path: 'container.ports[0].host', message: "host port 80/tcp is also used by app 'c'" });
    expect(errors.has('c')).toBe(true);
  });
});
