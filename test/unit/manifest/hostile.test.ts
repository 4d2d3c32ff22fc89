// Hostile values for the fields that reach podman or the host's filesystem (network, bind source and
// target, devices, template, build context), built from the pieces that break things (':' ',' '..'
// control characters, `container:`, `ns:`...): each manifest is either rejected with every error at
// that field (its key on the error's line, just before the column), or the value is safe by a check
// written here independently of the schema. parseManifest never throws. PROP_RUNS sets the count.
import path from 'node:path/posix';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/manifest/parse.js';
import { DEFAULT_POLICY, policyErrors } from '../../../src/manifest/policy.js';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 200) };
const FILE = 'apps/prop/manifest.yml';
const ROOT = '/var/lib/archipelago/prop';

const PIECES = [
  ':', ',', '..', '.', '/', '//', '\0', '\n', '\r', '\t', '\u0085', '\u007f', ' ', '-', '=', '@', '\\', '~',
  'container:', 'ns:', 'pod:', 'bridge', 'host', 'none', 'slirp4netns', 'private', '/dev/', '/dev', 'dev',
  'a', 'B1', 'rw', 'rwm', 'm', '/etc/shadow', '/var/lib/archipelago/prop', 'x.tmpl', 'é', '\u202e',
  '/dev/sda', ':/dev/xvda', ':rw', '/data', '/sub',
];
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex -- the point of the test
const MODES = ['bridge', 'default', 'private', 'slirp4netns', 'pasta', 'pod'];
const normalised = (p: string) => path.normalize(p) === p && (p === '/' || !p.endsWith('/'));
const safeAbsolute = (p: string) => p.startsWith('/') && !/[:,]/.test(p) && !CONTROL.test(p) && normalised(p);
const safeRelative = (p: string) => p !== '' && !p.startsWith('/') && !CONTROL.test(p) && !p.split('/').includes('..')
  && (p === '.' || normalised(p)) && path.resolve('/app', p).startsWith('/app');
const safeDevicePath = (p: string) => p.startsWith('/dev/') && !/[,\s]/.test(p) && !CONTROL.test(p) && normalised(p);
function safeDevice(d: string): boolean {
  const parts = d.split(':');
  if (parts.length > 3 || !safeDevicePath(parts[0] as string)) return false;
  const rest = parts.slice(1);
  if (rest[0]?.startsWith('/') && !safeDevicePath(rest.shift() as string)) return false;
  if (rest.length > 1) return false;
  const perms = rest[0];
  return perms === undefined || (/^[rwm]{1,3}$/.test(perms) && new Set(perms).size === perms.length);
}
function safeNetwork(n: string): boolean {
  if (n === 'host' || n === 'none') return true;
  if (n.startsWith('container:')) return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(n.slice(10));
  if (n.startsWith('ns:')) return safeAbsolute(n.slice(3)) && n !== 'ns:/';
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(n) && !MODES.includes(n);
}

type Field = { name: string; path: string; key: string; manifest: (v: string) => object; safe: (v: string) => boolean };
const app = { id: 'prop', name: 'Prop', version: '1' };
const FIELDS: Field[] = [
  { name: 'network', path: 'container.network', key: 'network: ', manifest: (v) => ({ app, container: { image: 'x/prop', network: v } }), safe: safeNetwork },
  { name: 'bind source', path: 'container.volumes[0].source', key: 'source: ', manifest: (v) => ({ app, container: { image: 'x/prop', volumes: [{ type: 'bind', source: v, target: '/data' }] } }), safe: safeAbsolute },
  { name: 'bind target', path: 'container.volumes[0].target', key: 'target: ', manifest: (v) => ({ app, container: { image: 'x/prop', volumes: [{ type: 'bind', source: ROOT, target: v }] } }), safe: (v) => safeAbsolute(v) && v !== '/' },
  { name: 'device', path: 'container.devices[0]', key: '- ', manifest: (v) => ({ app, container: { image: 'x/prop', devices: [v] } }), safe: safeDevice },
  { name: 'template', path: 'files[0].template', key: 'template: ', manifest: (v) => ({ app, container: { image: 'x/prop', volumes: [{ type: 'bind', source: ROOT, target: '/data' }] }, files: [{ path: `${ROOT}/a.conf`, template: v }] }), safe: (v) => safeRelative(v) && v !== '.' },
  { name: 'build context', path: 'container.build.context', key: 'context: ', manifest: (v) => ({ app, container: { build: { context: v } } }), safe: safeRelative },
];

describe('hostile values at the podman boundary', () => {
  it.each(FIELDS)('given a hostile $name, when parsed, then it is rejected at that field or it is safe', (field) => {
    fc.assert(
      fc.property(hostile, (value) => {
        const text = stringify(field.manifest(value), { lineWidth: 0 });
        const parsed = parseManifest(text, FILE, 'prop');
        if (parsed.ok) {
          expect(field.safe(value), `accepted ${JSON.stringify(value)}`).toBe(true);
          if (field.name === 'network' && /^(container|ns):/.test(value)) {
            // Joining another namespace passes the schema only to meet the node policy, which denies it by default.
            const denied = policyErrors('prop', FILE, parsed.manifest, parsed.locate, { policy: DEFAULT_POLICY, policyFile: '/etc/podledger/policy.yml' });
            expect(denied.map((e) => e.path)).toEqual(['container.network']);
          }
          return;
        }
        const lines = text.split('\n');
        for (const e of parsed.errors) {
          expect(e.path, `${JSON.stringify(value)}: ${JSON.stringify(e)}`).toBe(field.path);
          expect((lines[e.line - 1] ?? '').slice(0, e.col - 1).endsWith(field.key), `${JSON.stringify(value)} at ${e.line}:${e.col} in\n${text}`).toBe(true);
          expect(e.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it.each([
    ['network', 'container:../../x'], ['network', 'ns:/proc/1/ns/net/..'], ['network', 'a,b'], ['network', 'bridge:ip=1.2.3.4'],
    ['bind source', '/var/lib/archipelago/prop/../../../etc'], ['bind source', '/x:/y:rw'], ['bind target', '/data,ro'],
    ['device', '/dev/../etc/shadow'], ['device', '/dev/sda:/dev/sdb:rwmm'], ['template', '../../etc/shadow'], ['build context', '/'],
  ])('given the %s %j, when parsed, then it is rejected at that field', (name, value) => {
    const field = FIELDS.find((f) => f.name === name) as Field;
    const parsed = parseManifest(stringify(field.manifest(value)), FILE, 'prop');
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.path)).toEqual([field.path]);
  });
});
