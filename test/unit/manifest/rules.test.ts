// Every rejection rule, with its exact message and position: what an app author reads.
import { describe, expect, it } from 'vitest';
import { formatManifestError, parseManifest } from '../../../src/manifest/parse.js';
import { DEFAULT_POLICY, parsePolicy, POLICY_KEYS, policyErrors, policySchema, type PolicyContext } from '../../../src/manifest/policy.js';
import { parseDuration, parseSize } from '../../../src/core/manifest/units.js';

const FILE = 'apps/web/manifest.yml';
const head = 'app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: x/web\n';
const errorsOf = (body: string) => {
  const r = parseManifest(head + body, FILE, 'web');
  return r.ok ? [] : r.errors.map(formatManifestError);
};

describe('schema rules', () => {
  it.each([
    ['  stop_timeout: soon\n', `${FILE}:4:17: container.stop_timeout: 'soon' is not a duration: write e.g. 500ms, 30s, 5m, 1h30m`],
    ['  resources: { memory: lots }\n', `${FILE}:4:24: container.resources.memory: 'lots' is not a size: write e.g. 512k, 64m, 1g`],
    ['  volumes: [{ type: tmpfs, target: /tmp, mode: "999" }]\n', `${FILE}:4:48: container.volumes[0].mode: must be an octal mode like "1777"`],
    ['  ports: [{ host: 80, container: 80, host_ip: 300.1.1.1 }]\n', `${FILE}:4:47: container.ports[0].host_ip: Invalid IPv4 address`],
    ['  data_uid: "1000"\n', `${FILE}:4:13: container.data_uid: must be "UID:GID"`],
    ['  devices: [/dev/sda:/mnt]\n', `${FILE}:4:13: container.devices[0]: container device path /mnt must lie under /dev; must be /dev/HOST[:/dev/CONTAINER][:rwm]`],
    ['  entrypoint: [""]\n', `${FILE}:4:16: container.entrypoint[0]: must not be empty`],
    ['  network: none\n  health_check: { type: http, port: 8080 }\n', `${FILE}:5:25: container.health_check.type: an http check cannot reach this container: network: none has no network; use type: exec with a command that checks port 8080 inside, or put the container on a bridge network or host`],
    ['  network: "ns:/run/netns/x"\n  health_check: { type: tcp, port: 5432 }\n', `${FILE}:5:25: container.health_check.type: a tcp check cannot reach this container: network: ns:/run/netns/x joins a network namespace whose address the engine cannot know; use type: exec with a command that checks port 5432 inside, or put the container on a bridge network or host`],
    ['  health_check: { type: grpc, port: 1 }\n', `${FILE}:4:25: container.health_check.type: Invalid discriminator value. Expected 'http' | 'tcp' | 'exec'`],
  ])('given %j, when parsed, then the error names the field and the fix', (body, expected) => {
    expect(errorsOf(body)).toEqual([expected]);
  });

  it('given a file outside every bind source, when parsed, then it says to add a bind', () => {
    const body = '  volumes: [{ type: bind, source: /var/lib/archipelago/web, target: /data }]\nfiles:\n  - { path: /etc/web.conf, template: web.tmpl }\n';
    expect(errorsOf(body)).toEqual([
      `${FILE}:6:13: files[0].path: /etc/web.conf is outside the app's bind sources (/var/lib/archipelago/web): add a bind or move the file`,
    ]);
  });

  it('given an http or tcp check on a port that is not published, or an exec check, when parsed on a bridge, host or none, then it is accepted', () => {
    expect(errorsOf('  health_check: { type: http, port: 8080, interval: 10s }\n')).toEqual([]);
    expect(errorsOf('  network: host\n  health_check: { type: tcp, port: 8080 }\n')).toEqual([]);
    expect(errorsOf('  ports: [{ host: 18080, container: 8080 }]\n  health_check: { type: http, port: 8080, interval: 10s }\n')).toEqual([]);
    expect(errorsOf('  network: none\n  health_check: { type: exec, command: [/bin/true] }\n')).toEqual([]);
  });
});

describe('units', () => {
  it('given durations and sizes as authors write them, when parsed, then they are ms and bytes', () => {
    expect([parseDuration('500ms'), parseDuration('1h30m'), parseDuration(30)]).toEqual([
      { ok: true, value: 500 }, { ok: true, value: 5_400_000 }, { ok: true, value: 30_000 },
    ]);
    expect([parseSize('64m'), parseSize('1g'), parseSize('512KiB')]).toEqual([
      { ok: true, value: 64 * 1024 ** 2 }, { ok: true, value: 1024 ** 3 }, { ok: true, value: 512 * 1024 },
    ]);
    expect(parseDuration('30 s').ok).toBe(false);
    expect(parseSize('-1m').ok).toBe(false);
  });
});

describe('node policy', () => {
  const ctx = (allow: Record<string, string[]> = {}): PolicyContext => ({
    policy: parsePolicy(`data_root: /var/lib/archipelago\nallow: ${JSON.stringify(allow)}\n`, '/etc/podledger/policy.yml'),
    policyFile: '/etc/podledger/policy.yml',
    secretsDir: '/var/lib/podledger/secrets',
    podmanSocket: '/run/podman/podman.sock',
  });
  const check = (body: string, c = ctx()) => {
    const r = parseManifest(head + body, FILE, 'web');
    if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
    return policyErrors('web', FILE, r.manifest, r.locate, c).map(formatManifestError);
  };
  const hint = (rule: string) => `not allowed by the node policy (rule ${rule}); to allow it, add ${rule} under allow.web in /etc/podledger/policy.yml`;

  it.each([
    ['  network: host\n', `${FILE}:4:12: container.network: network host shares the node's network stack: ${hint('host-network')}`],
    ['  network: "container:db"\n', `${FILE}:4:12: container.network: network container:db joins the network namespace of another container: ${hint('join-namespace')}`],
    ['  network: "ns:/run/netns/x"\n', `${FILE}:4:12: container.network: network ns:/run/netns/x joins an existing network namespace: ${hint('join-namespace')}`],
    ['  security: { cap_add: [net_admin] }\n', `${FILE}:4:25: container.security.cap_add[0]: adding capability NET_ADMIN: ${hint('cap-add')}`],
    ['  devices: [/dev/ttyUSB0]\n', `${FILE}:4:13: container.devices[0]: device /dev/ttyUSB0: ${hint('devices')}`],
    ['  volumes: [{ type: bind, source: /, target: /host }]\n', `${FILE}:4:35: container.volumes[0].source: bind source / is a protected path: ${hint('sensitive-bind')}`],
    ['  volumes: [{ type: bind, source: /etc/ssl, target: /ssl }]\n', `${FILE}:4:35: container.volumes[0].source: bind source /etc/ssl exposes the protected path /etc: ${hint('sensitive-bind')}`],
    ['  volumes: [{ type: bind, source: /run/podman, target: /s }]\n', `${FILE}:4:35: container.volumes[0].source: bind source /run/podman is a protected path: ${hint('sensitive-bind')}`],
    ['  volumes: [{ type: bind, source: /var/lib/podledger, target: /s }]\n', `${FILE}:4:35: container.volumes[0].source: bind source /var/lib/podledger exposes the protected path /var/lib/podledger/secrets: ${hint('sensitive-bind')}`],
    ['  volumes: [{ type: bind, source: /var/lib/archipelago/bitcoind, target: /b }]\n', `${FILE}:4:35: container.volumes[0].source: bind source /var/lib/archipelago/bitcoind is outside /var/lib/archipelago/web: ${hint('bind-outside-data-root')}`],
  ])('given %j, when checked against the default-deny policy, then it is rejected with the rule and how to allow it', (body, expected) => {
    expect(check(body)).toEqual([expected]);
  });

  it('given the app is allowed the rule, when checked, then it passes; other apps stay denied', () => {
    const body = '  network: host\n  volumes: [{ type: bind, source: /var/lib/archipelago/bitcoind, target: /b, read_only: true }]\n';
    expect(check(body, ctx({ web: ['host-network', 'bind-outside-data-root'] }))).toEqual([]);
    expect(check(body, ctx({ other: ['host-network'] }))).toHaveLength(2);
  });

  it('given join-namespace allowed for the app, when it joins a container or a namespace, then it passes', () => {
    expect(check('  network: "container:db"\n', ctx({ web: ['join-namespace'] }))).toEqual([]);
    expect(check('  network: "ns:/run/netns/x"\n', ctx({ web: ['join-namespace'] }))).toEqual([]);
    expect(check('  network: host\n', ctx({ web: ['join-namespace'] }))).toHaveLength(1); // host is its own rule
  });

  it("given binds under the app's own data dir, when checked, then they pass", () => {
    expect(check('  volumes: [{ type: bind, source: /var/lib/archipelago/web/data, target: /data }]\n')).toEqual([]);
    expect(DEFAULT_POLICY.data_root).toBe('/var/lib/archipelago');
  });

  it('the defaults and keys written out are the schema\'s (it is built only when a policy file is read)', () => {
    expect(DEFAULT_POLICY).toStrictEqual(policySchema().parse({}));
    expect(POLICY_KEYS).toEqual(Object.keys(policySchema().shape));
    expect(parsePolicy('', '/etc/podledger/policy.yml')).toStrictEqual(DEFAULT_POLICY);
  });

  it('given a policy with an unknown rule, when parsed, then the error names the file and the field', () => {
    expect(() => parsePolicy('allow: { web: [root] }\n', '/etc/podledger/policy.yml')).toThrow(
      /^cannot use node policy: \/etc\/podledger\/policy\.yml: allow\.web\.0: Invalid option: expected one of "host-network"\|"join-namespace"\|"cap-add"\|"devices"\|"bind-outside-data-root"\|"sensitive-bind"$/,
    );
  });

  it('given build_host_files, when parsed, then absolute normalised paths are taken and anything else is refused', () => {
    expect(parsePolicy('build_host_files: [/bin/busybox]\n', '/p.yml').build_host_files).toEqual(['/bin/busybox']);
    expect(DEFAULT_POLICY.build_host_files).toEqual([]);
    expect(() => parsePolicy('build_host_files: [bin/busybox]\n', '/p.yml')).toThrow(
      /^cannot use node policy: \/p\.yml: build_host_files\.0: must be an absolute host path, starting with \/; write the full path$/,
    );
    expect(() => parsePolicy('build_host_files: [/bin/../etc/shadow]\n', '/p.yml')).toThrow(/build_host_files\.0: must be written normalised .*; write \/etc\/shadow$/);
  });

  it('given a policy that is not YAML, when parsed, then one line gives file:line:col of the first error', () => {
    expect(() => parsePolicy('data_root: /srv\nallow: [\n', '/p.yml')).toThrow(
      /^cannot use node policy: \/p\.yml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]; correct line 3 of the file$/,
    );
  });

  it('given a policy with an unknown key, when parsed, then the error names the key, its position and the keys a policy may have', () => {
    expect(() => parsePolicy('data_root: /srv\n  # note\ndata_rot: /x\n', '/p.yml')).toThrow(
      /^cannot use node policy: \/p\.yml:3:1: unknown key 'data_rot': a policy may have only the keys data_root, allow, build_host_files; remove it or check its spelling$/,
    );
  });
});
