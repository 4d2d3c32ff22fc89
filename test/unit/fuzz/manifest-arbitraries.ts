// Manifests as plain JS values for the properties that hold the fast manifest parse to zod
// (manifest-fast-parse.test.ts, test/unit/fuzz/manifest-reader.test.ts): every field of the schema,
// each value mostly valid and now and then at or past an edge of its check.
import fc from 'fast-check';

export const edgy = <T, U>(valid: fc.Arbitrary<T>, edges: fc.Arbitrary<U>) => fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: edges });
export const opt = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
/** JSON.parse's objects: fast-check may otherwise make null-prototype ones (the hostile test makes those). */
const plain = { noNullPrototype: true } as const;
export const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const rec = <T extends Record<string, fc.Arbitrary<unknown>>>(parts: T) => fc.record(parts, plain).map(defined);

const idish = edgy(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), fc.constantFrom('', 'A', '-a', 'a_b', 'a b', 'app\n', 'é'));
const textish = edgy(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('', 'a\0b', ' ', '\u0085'));
const envKeyish = edgy(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), fc.constantFrom('1A', 'A-B', '', '__proto__', 'constructor', 'toString', 'A'));
const imageish = edgy(
  fc.oneof(fc.constantFrom('img/app:1', 'docker.io/library/nginx:1.27', 'localhost:5000/a/b@sha256:' + 'a'.repeat(64)), fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9]{1,6})?(:[a-z0-9.]{1,4})?$/)),
  fc.constantFrom('IMG/x', '-x', 'a b', 'x:', 'a\u0001', 'x'.repeat(600), ''),
);
const networkish = edgy(fc.constantFrom('podledger', 'host', 'none', 'container:db', 'ns:/proc/1/ns/net', 'my.net'), fc.constantFrom('bridge', 'pod', 'container:', 'ns:rel', 'a:b', ''));
const durationish = edgy(fc.oneof(fc.constantFrom('10s', '1h30m', '500ms', ' 5m ', '1.5s', '0s'), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.nat()), fc.oneof(fc.constantFrom('5', '-1s', 's', '', '30S', 1e308, -1, -0), fc.double()));
const portish = edgy(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 65536, 1.5, -0, NaN, Infinity, '80', -1));
const templateish = fc.array(fc.oneof(textish, edgy(fc.constantFrom('{{HOST_IP}}', '{{ HOST_MDNS }}', '{{DISK_GB}}'), fc.constantFrom('{{secret:x}}', '{{NOPE}}', '{{', '}}'))), { maxLength: 3 }).map((p) => p.join(''));
const envValue = edgy(fc.oneof(textish, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), fc.constantFrom(-0, 1e21, null, NaN, Infinity, [], {}));
const secretFile = edgy(fc.constantFrom('db', 'pw.txt', 'x.y'), fc.constantFrom('a/b', '..', '', 'x..y'));
const boolish = edgy(fc.boolean(), fc.constantFrom('yes', 0, 1, null));
const strList = (max: number) => fc.array(textish, { maxLength: max });

/** Paths: the valid ones share prefixes, so that files land under binds (and next to them) often. */
const hostPathish = edgy(fc.constantFrom('/srv/a', '/srv/a/b', '/var/lib/x', '/srv/ab', '/'), fc.constantFrom('', 'srv/a', '/srv/../etc', '/srv//a', '/srv/a/', '/srv/./a', '/a:b', '/a,b', '/a\u0001', '/..', '/a\0'));
const filePathish = edgy(fc.constantFrom('/srv/a/f.conf', '/srv/a/b/c', '/var/lib/x/y', '/srv/ab/f', '/srv/a', '/etc/passwd'), fc.constantFrom('/', '/srv/a/../../etc/x', 'srv/a/f', '/srv/a//f', '/srv/a/f/', '/srv/a/f:1'));
const containerPathish = edgy(fc.constantFrom('/data', '/etc/nginx/conf.d', '/tmp', '/a/b'), fc.constantFrom('/', '', 'data', '/data/', '/a/../b', '/a,b', '/a:ro', '/a\n'));
const relish = edgy(fc.constantFrom('.', 'sub', 'a/b', 'Containerfile', 'docker/Containerfile', 't.tmpl', '.hidden'), fc.constantFrom('', '/abs', '../x', 'a/../b', './a', 'a//b', 'a/', 'a\nb', '..', 'a/..'));
const sizeish = edgy(fc.oneof(fc.constantFrom('64m', '1g', '512k', '1m', '10', ' 2 GiB', '1.5k', '1KB', '3b'), fc.integer({ min: 1, max: 2 ** 40 })), fc.constantFrom(0, -1, 1.5, '0', 'x', '', NaN, Infinity, '1t', '0.1b', '9'.repeat(400) + 'g', '1e3'));
const modeish = (valid: string[], edges: unknown[]) => edgy(fc.constantFrom(...valid), fc.constantFrom(...edges));

const build = rec({
  context: opt(relish),
  containerfile: opt(relish),
  args: opt(fc.dictionary(envKeyish, edgy(fc.string({ maxLength: 4 }), fc.constantFrom('a\0', 1, true, null)), { maxKeys: 2, noNullPrototype: true })),
});
const hostIp = edgy(fc.constantFrom('127.0.0.1', '0.0.0.0', '192.168.1.20', '10.0.0.255'), fc.constantFrom('256.0.0.1', '01.0.0.1', '::1', 'localhost', '1.2.3', ' 1.2.3.4', '1.2.3.4\n', 127));
const ports = fc.array(rec({ host: portish, container: portish, protocol: opt(edgy(fc.constantFrom('tcp', 'udp'), fc.constant('sctp'))), host_ip: opt(hostIp) }), { maxLength: 2 });
const volumeType = (t: string) => edgy(fc.constant(t), fc.constantFrom('nfs', 'Bind', '', 1));
const volume = fc.oneof(
  rec({ type: volumeType('bind'), source: hostPathish, target: containerPathish, read_only: opt(boolish) }),
  rec({ type: volumeType('volume'), source: edgy(fc.constantFrom('data', 'a.b_c-1', 'X9'), fc.constantFrom('', '-a', 'a/b', '.a', 'a b')), target: containerPathish, read_only: opt(boolish) }),
  rec({ type: volumeType('tmpfs'), target: containerPathish, size: opt(sizeish), mode: opt(modeish(['1777', '755', '0700'], ['8', '17777', 755, '', '0o7'])) }),
);
const retries = edgy(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, '3', NaN, Infinity));
const timing = { interval: opt(durationish), timeout: opt(durationish), retries: opt(retries), start_period: opt(durationish) };
const healthType = (t: string) => edgy(fc.constant(t), fc.constantFrom('grpc', 'HTTP', '', null));
const healthCheck = fc.oneof(
  rec({ type: healthType('http'), port: portish, path: opt(edgy(fc.constantFrom('/', '/healthz', '/a?b=c&d=%20', '/x/y'), fc.constantFrom('', 'x', '/a b', '/"', '/\n'))), ...timing }),
  rec({ type: healthType('tcp'), port: portish, ...timing }),
  rec({ type: healthType('exec'), command: edgy(fc.array(textish, { minLength: 1, maxLength: 3 }), fc.constantFrom([], 'true', [''], [1])), ...timing }),
);
const deviceish = edgy(
  fc.constantFrom('/dev/fuse', '/dev/sda:/dev/xvda', '/dev/net/tun:rw', '/dev/a:/dev/b:rwm', '/dev/dri:m'),
  fc.constantFrom('/dev/../etc/passwd', 'dev/x', '/dev/x:rr', '/dev/x:/y', '/dev/a b', '/dev/x:/dev/y:z:q', '/etc/x', '/dev//x', '/dev/x:q'),
);
const capish = edgy(fc.constantFrom('NET_ADMIN', 'cap_sys_time', 'CAP_CHOWN', 'net_raw', 'Sys_Admin'), fc.constantFrom('', 'NET-ADMIN', 'CAP_', 'cap_', '1', 'ALL', 'all', 'CAP_ALL', 7));
const resources = rec({ memory: opt(sizeish), cpus: opt(edgy(fc.double({ min: 0.1, max: 8, noNaN: true }), fc.constantFrom(0, -1, -0, NaN, Infinity, '1', 5e-324))) });
const security = rec({
  cap_add: opt(fc.array(capish, { maxLength: 2 })),
  cap_drop: opt(fc.array(fc.oneof(capish, fc.constantFrom('ALL', 'all')), { maxLength: 2 })),
  read_only_root: opt(boolish),
  no_new_privileges: opt(boolish),
});
const file = rec({ path: filePathish, template: relish, mode: opt(modeish(['0644', '0600', '0755'], ['644', '0800', 420, '00644', ''])) });

/** Exactly one of image or build, mostly; now and then both or neither. */
const source = fc.oneof(
  { weight: 6, arbitrary: rec({ image: imageish }) },
  { weight: 3, arbitrary: rec({ build }) },
  { weight: 1, arbitrary: rec({ image: opt(imageish), build: opt(build) }) },
);

export const manifestish = fc.record({
  app: rec({ id: idish, name: textish, version: textish, description: opt(textish) }),
  container: fc.tuple(source, rec({
    pull_policy: opt(edgy(fc.constantFrom('missing', 'always', 'never'), fc.constant('sometimes'))),
    name: opt(idish),
    network: opt(networkish),
    hostname: opt(edgy(fc.constantFrom('web', 'a-b', 'A1', 'x'.repeat(63)), fc.constantFrom('-a', 'a-', '', 'a.b', 'x'.repeat(64), 'a_b'))),
    entrypoint: opt(strList(2)),
    command: opt(strList(2)),
    custom_args: opt(strList(2)),
    ports: opt(ports),
    volumes: opt(fc.array(volume, { maxLength: 3 })),
    environment: opt(fc.dictionary(envKeyish, envValue, { maxKeys: 3, noNullPrototype: true })),
    derived_env: opt(fc.array(rec({ key: envKeyish, template: templateish }), { maxLength: 2 })),
    secret_env: opt(fc.array(rec({ key: envKeyish, secret_file: secretFile }), { maxLength: 2 })),
    data_uid: opt(edgy(fc.constantFrom('1000:1000', '0:0', '01:2'), fc.constantFrom('1000', 'a:b', ':1', '1:1\n', 1000))),
    user: opt(edgy(fc.constantFrom('root', '1000:1000', 'www-data:www', '0', 'Ab_c'), fc.constantFrom('', 'a b', '1'.repeat(11), 'Root:', ':x', 'a:b:c'))),
    devices: opt(fc.array(deviceish, { maxLength: 2 })),
    health_check: opt(healthCheck),
    restart: opt(edgy(fc.constantFrom('always', 'on-failure', 'no'), fc.constant('never'))),
    stop_timeout: opt(durationish),
    resources: opt(resources),
    security: opt(security),
  })).map(([s, rest]) => ({ ...s, ...rest })),
  dependencies: opt(fc.array(fc.oneof(idish, rec({ app: idish, condition: opt(edgy(fc.constantFrom('started', 'healthy'), fc.constant('ready'))), restart: opt(boolish) })), { maxLength: 2 })),
  files: opt(fc.array(file, { maxLength: 2 })),
}, plain).map(defined);

/** What JSON.parse can make that an object literal cannot: an own `__proto__` key. */
export const hostileKeys = fc.constantFrom('{"__proto__":{"image":"x"}}', '{"__proto__":"A"}', '{"constructor":"x"}', '{"A":"1","__proto__":null}').map((t) => JSON.parse(t) as unknown);
