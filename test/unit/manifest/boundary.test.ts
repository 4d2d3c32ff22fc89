// What a manifest may ask of podman and of the host's filesystem: every value that could change what
// podman does (a network mode, a mount option smuggled into a path, a device outside /dev, an image
// reference podman reads as a flag, a build context outside the app folder) is refused at the field,
// file:line:col, with the fix. The exact message an app author reads is pinned here.
import { describe, expect, it } from 'vitest';
import { formatManifestError, parseManifest } from '../../../src/manifest/parse.js';

const FILE = 'apps/web/manifest.yml';
const IMAGE_HEAD = 'app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: x/web\n';
const BUILD_HEAD = 'app: { id: web, name: Web, version: "1" }\ncontainer:\n';

const errorsOf = (text: string) => {
  const r = parseManifest(text, FILE, 'web');
  return r.ok ? [] : r.errors.map(formatManifestError);
};

/** `apps/web/manifest.yml:LINE:COL: PATH: MESSAGE`, LINE:COL being where `needle` starts in `text`. */
function at(text: string, needle: string, path: string, message: string): string {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in ${text}`);
  const before = text.slice(0, offset);
  return `${FILE}:${before.split('\n').length}:${offset - before.lastIndexOf('\n')}: ${path}: ${message}`;
}

const NETWORKS = "write a bridge network name (letters, digits, _ . -, at most 63), host, none, or, where the node policy allows join-namespace, container:NAME or ns:/PATH";
const DEVICE = 'must be /dev/HOST[:/dev/CONTAINER][:rwm]';
const IMAGE = 'write [registry/]name[:tag][@sha256:digest] with a lower-case name, e.g. docker.io/library/nginx:1.27';
const NORMALISED = "must be written normalised (no '.' or '..' parts, no '//', no trailing '/'); write";
const SEPARATORS = "(podman reads ':' and ',' as separators); use a path without them";

type Row = [name: string, body: string, needle: string, path: string, message: string];

const bind = (source: string, target = '/data') => `  volumes: [{ type: bind, source: ${source}, target: ${target} }]\n`;

describe('container.network', () => {
  it.each<Row>([
    ['slirp4netns', '  network: slirp4netns\n', 'slirp4netns', 'container.network', `'slirp4netns' is not a network podledger can use ('slirp4netns' is a podman network mode podledger does not use); ${NETWORKS}`],
    ['pasta', '  network: pasta\n', 'pasta', 'container.network', `'pasta' is not a network podledger can use ('pasta' is a podman network mode podledger does not use); ${NETWORKS}`],
    ['private', '  network: private\n', 'private', 'container.network', `'private' is not a network podledger can use ('private' is a podman network mode podledger does not use); ${NETWORKS}`],
    ['bridge with options', '  network: "bridge:ip=10.0.0.2"\n', '"bridge', 'container.network', `'bridge:ip=10.0.0.2' is not a network podledger can use ('bridge' is a podman network mode podledger does not use); ${NETWORKS}`],
    ['a pod', '  network: "pod:infra"\n', '"pod', 'container.network', `'pod:infra' is not a network podledger can use ('pod' is a podman network mode podledger does not use); ${NETWORKS}`],
    ['two networks', '  network: "a,b"\n', '"a,b"', 'container.network', `'a,b' is not a network podledger can use; ${NETWORKS}`],
    ['a name with options', '  network: "mynet:alias=x"\n', '"mynet', 'container.network', `'mynet:alias=x' is not a network podledger can use; ${NETWORKS}`],
    ['a blank', '  network: "my net"\n', '"my net"', 'container.network', `'my net' is not a network podledger can use; ${NETWORKS}`],
    ['a name too long', `  network: ${'n'.repeat(64)}\n`, 'nnn', 'container.network', `'${'n'.repeat(64)}' is not a network podledger can use; ${NETWORKS}`],
    ['a control character', '  network: "podledger\\u0000"\n', '"podledger', 'container.network', 'contains the control character U+0000; remove it'],
    ['container: with a path', '  network: "container:../db"\n', '"container', 'container.network', "container:NAME needs a container name (letters, digits, _ . -) after 'container:', not '../db'"],
    ['container: with nothing', '  network: "container:"\n', '"container', 'container.network', "container:NAME needs a container name (letters, digits, _ . -) after 'container:', not ''"],
    ['ns: relative', '  network: "ns:run/netns/x"\n', '"ns:', 'container.network', 'ns:PATH: the path must be an absolute namespace path, starting with /; write the full path'],
    ['ns: not normalised', '  network: "ns:/run/netns/../x"\n', '"ns:', 'container.network', `ns:PATH: the path ${NORMALISED} /run/x`],
  ])('given network %s, when parsed, then it is refused at the field with what is allowed', (_, body, needle, path, message) => {
    expect(errorsOf(IMAGE_HEAD + body)).toEqual([at(IMAGE_HEAD + body, needle, path, message)]);
  });

  it.each(['podledger', 'archy-net', 'Net_1.x', 'host', 'none', 'container:db', 'ns:/run/netns/x'])('given network %s, when parsed, then the schema accepts it (joining is for the policy)', (network) => {
    expect(errorsOf(`${IMAGE_HEAD}  network: "${network}"\n`)).toEqual([]);
  });
});

describe('paths podman mounts', () => {
  it.each<Row>([
    ['a relative bind source', bind('data'), 'data', 'container.volumes[0].source', 'must be an absolute host path, starting with /; write the full path'],
    ['a bind source with ":"', bind('"/var/lib/archipelago/web:/etc"'), '"/var', 'container.volumes[0].source', `must not contain ':' ${SEPARATORS}`],
    ['a bind source with ","', bind('"/var/lib/archipelago/web,ro"'), '"/var', 'container.volumes[0].source', `must not contain ',' ${SEPARATORS}`],
    ['a bind source with NUL', bind('"/var/lib/archipelago/web\\0"'), '"/var', 'container.volumes[0].source', 'contains the control character U+0000; remove it'],
    ['a bind source with a newline', bind('"/var/lib/archipelago/web\\n/etc"'), '"/var', 'container.volumes[0].source', 'contains the control character U+000A; remove it'],
    ['a bind source with DEL', bind('"/var/lib/archipelago/web\\x7f"'), '"/var', 'container.volumes[0].source', 'contains the control character U+007F; remove it'],
    ['a bind source with ..', bind('/var/lib/archipelago/web/../../../../etc'), '/var', 'container.volumes[0].source', `${NORMALISED} /etc`],
    ['a bind source with //', bind('/var/lib//archipelago/web'), '/var', 'container.volumes[0].source', `${NORMALISED} /var/lib/archipelago/web`],
    ['a bind source with .', bind('/var/lib/archipelago/web/./x'), '/var', 'container.volumes[0].source', `${NORMALISED} /var/lib/archipelago/web/x`],
    ['a bind source with a trailing /', bind('/var/lib/archipelago/web/'), '/var', 'container.volumes[0].source', `${NORMALISED} /var/lib/archipelago/web`],
    ['a bind target with ..', bind('/var/lib/archipelago/web', '/data/../etc'), '/data', 'container.volumes[0].target', `${NORMALISED} /etc`],
    ['a bind target of /', bind('/var/lib/archipelago/web', '/'), '/ }', 'container.volumes[0].target', 'must not be / itself; name a folder below it'],
    ['a bind target with ":ro"', bind('/var/lib/archipelago/web', '"/data:ro"'), '"/data', 'container.volumes[0].target', `must not contain ':' ${SEPARATORS}`],
    ['a relative volume target', '  volumes: [{ type: volume, source: webdata, target: data }]\n', 'data }', 'container.volumes[0].target', 'must be an absolute container path, starting with /; write the full path'],
    ['a tmpfs target with options', '  volumes: [{ type: tmpfs, target: "/tmp,exec" }]\n', '"/tmp', 'container.volumes[0].target', `must not contain ',' ${SEPARATORS}`],
    ['a file path with ..', `${bind('/var/lib/archipelago/web')}files: [{ path: /var/lib/archipelago/web/../web/a.conf, template: a.tmpl }]\n`, '/var/lib/archipelago/web/..', 'files[0].path', `${NORMALISED} /var/lib/archipelago/web/a.conf`],
    ['a file path with ","', `${bind('/var/lib/archipelago/web')}files: [{ path: "/var/lib/archipelago/web/a,b", template: a.tmpl }]\n`, '"/var', 'files[0].path', `must not contain ',' ${SEPARATORS}`],
  ])('given %s, when parsed, then it is refused at the field', (_, body, needle, path, message) => {
    expect(errorsOf(IMAGE_HEAD + body)).toEqual([at(IMAGE_HEAD + body, needle, path, message)]);
  });

  it('given normalised absolute paths, when parsed, then they are accepted', () => {
    expect(errorsOf(`${IMAGE_HEAD}${bind('/var/lib/archipelago/web', '/data/db')}files: [{ path: /var/lib/archipelago/web/a.conf, template: conf/a.tmpl }]\n`)).toEqual([]);
  });
});

describe('container.devices', () => {
  it.each<Row>([
    ['a host path leaving /dev', '/dev/../etc/shadow', '/dev', 'container.devices[0]', `host device path /dev/../etc/shadow must lie under /dev (it comes to /etc/shadow); ${DEVICE}`],
    ['/dev itself', '/dev', '/dev', 'container.devices[0]', `host device path /dev must lie under /dev; ${DEVICE}`],
    ['a host path not normalised', '/dev//sda', '/dev', 'container.devices[0]', 'host device path /dev//sda must be written normalised; write /dev/sda'],
    ['a container path leaving /dev', '/dev/sda:/dev/../etc/passwd', '/dev', 'container.devices[0]', `container device path /dev/../etc/passwd must lie under /dev (it comes to /etc/passwd); ${DEVICE}`],
    ['a ","', '"/dev/sda,rw"', '"/dev', 'container.devices[0]', "host device path /dev/sda,rw must not contain ',' or blanks; name the device node itself"],
    ['a control character', '"/dev/sda\\n"', '"/dev', 'container.devices[0]', 'contains the control character U+000A; remove it'],
    ['a repeated permission', '/dev/sda:rr', '/dev', 'container.devices[0]', `permissions 'rr' must be r, w and m, each at most once (e.g. rw); ${DEVICE}`],
    ['four permissions', '/dev/sda:/dev/xvda:rwmm', '/dev', 'container.devices[0]', `permissions 'rwmm' must be r, w and m, each at most once (e.g. rw); ${DEVICE}`],
    ['an unknown permission', '/dev/sda:rwx', '/dev', 'container.devices[0]', `permissions 'rwx' must be r, w and m, each at most once (e.g. rw); ${DEVICE}`],
    ['empty permissions', '"/dev/sda:"', '"/dev', 'container.devices[0]', `permissions '' must be r, w and m, each at most once (e.g. rw); ${DEVICE}`],
    ['too many parts', '/dev/sda:/dev/xvda:rw:m', '/dev', 'container.devices[0]', `${DEVICE}; '/dev/sda:/dev/xvda:rw:m' has too many ':' parts`],
    ['a relative path', 'sda', 'sda', 'container.devices[0]', `host device path 'sda' is not absolute; ${DEVICE}`],
  ])('given %s, when parsed, then it is refused at the device', (_, device, _needle, path, message) => {
    expect(errorsOf(`${IMAGE_HEAD}  devices:\n    - ${device}\n`)).toEqual([`${FILE}:5:7: ${path}: ${message}`]);
  });

  it.each(['/dev/fuse', '/dev/net/tun:/dev/net/tun', '/dev/kvm:rw', '/dev/sda:/dev/xvda:rwm', '/dev/ttyUSB0:mr'])('given %s, when parsed, then it is accepted', (device) => {
    expect(errorsOf(`${IMAGE_HEAD}  devices: ["${device}"]\n`)).toEqual([]);
  });
});

describe('container.image, hostname and user', () => {
  it.each([
    ['a blank', '"nginx latest"', `'nginx latest' is not an image reference; ${IMAGE}`],
    ['a leading -', '"--privileged"', "must not start with '-'; write [registry/]name[:tag][@sha256:digest]"],
    ['upper case', 'Nginx', `'Nginx' is not an image reference; ${IMAGE}`],
    ['a bad digest', 'nginx@sha256:abc', `'nginx@sha256:abc' is not an image reference; ${IMAGE}`],
    ['a control character', '"nginx\\a"', 'contains the control character U+0007; remove it'],
    ['too many characters', `x/${'a'.repeat(520)}`, 'is 522 characters long; an image reference has at most 512'],
  ])('given an image with %s, when parsed, then it is refused', (_, image, message) => {
    expect(errorsOf(`app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: ${image}\n`)).toEqual([`${FILE}:3:10: container.image: ${message}`]);
  });

  it.each(['nginx', 'docker.io/library/nginx:1.27.5-alpine', 'localhost:5000/a/b_c__d-e:v1', `ghcr.io/x/y@sha256:${'a'.repeat(64)}`, `x:1@sha256:${'0'.repeat(64)}`])('given image %s, when parsed, then it is accepted', (image) => {
    expect(errorsOf(`app: { id: web, name: Web, version: "1" }\ncontainer:\n  image: ${image}\n`)).toEqual([]);
  });

  it.each<Row>([
    ['a hostname with a dot', '  hostname: a.b\n', 'a.b', 'container.hostname', 'must be a valid host name'],
    ['a hostname with a leading -', '  hostname: "-x"\n', '"-x"', 'container.hostname', 'must be a valid host name'],
    ['a user with a ;', '  user: "root;id"\n', '"root', 'container.user', 'must be a user name or UID, optionally :group'],
    ['a user with a newline', '  user: "1000\\n"\n', '"1000', 'container.user', 'must be a user name or UID, optionally :group'],
    ['a UID of 11 digits', '  user: "12345678901"\n', '"1234', 'container.user', 'must be a user name or UID, optionally :group'],
  ])('given %s, when parsed, then it is refused', (_, body, needle, path, message) => {
    expect(errorsOf(IMAGE_HEAD + body)).toEqual([at(IMAGE_HEAD + body, needle, path, message)]);
  });
});

describe('paths inside the app folder', () => {
  const build = (fields: string) => `${BUILD_HEAD}  build: { ${fields} }\n`;
  it.each<Row>([
    ['an absolute context', build('context: /srv/web'), '/srv', 'container.build.context', 'must be relative to the app folder, not absolute; write it without the leading /'],
    ['a context leaving the folder', build('context: ../other'), '../', 'container.build.context', "must stay inside the app folder; remove the '..' parts"],
    ['a context with .. inside', build('context: src/../../x'), 'src/', 'container.build.context', "must stay inside the app folder; remove the '..' parts"],
    ['a context not normalised', build('context: ./src/'), './src', 'container.build.context', "must be written normalised (no '.' parts, no '//', no trailing '/'); write src"],
    ['a context with NUL', build('context: "src\\0"'), '"src', 'container.build.context', 'contains the control character U+0000; remove it'],
    ['an empty context', build('context: ""'), '""', 'container.build.context', 'must not be empty'],
    ['a containerfile leaving the context', build('containerfile: ../Containerfile'), '../', 'container.build.containerfile', "must stay inside the build context; remove the '..' parts"],
    ['a containerfile that is the context', build('containerfile: .'), '. }', 'container.build.containerfile', 'must name a file inside the build context, not the build context itself'],
    ['a containerfile with //', build('containerfile: sub//Containerfile'), 'sub/', 'container.build.containerfile', "must be written normalised (no '.' parts, no '//', no trailing '/'); write sub/Containerfile"],
    ['a build arg with NUL', build('args: { A: "x\\0y" }'), '"x', 'container.build.args.A', 'must not contain a NUL character; remove it'],
  ])('given %s, when parsed, then it is refused at the field', (_, text, needle, path, message) => {
    expect(errorsOf(text)).toEqual([at(text, needle, path, message)]);
  });

  const withFile = (template: string) => `${IMAGE_HEAD}${bind('/var/lib/archipelago/web')}files: [{ path: /var/lib/archipelago/web/a.conf, template: ${template} }]\n`;
  it.each<Row>([
    ['leaving the folder', withFile('../../etc/shadow'), '../../', 'files[0].template', "must stay inside the app folder; remove the '..' parts"],
    ['absolute', withFile('/etc/shadow'), '/etc/shadow', 'files[0].template', 'must be relative to the app folder, not absolute; write it without the leading /'],
    ['not normalised', withFile('./a.tmpl'), './a', 'files[0].template', "must be written normalised (no '.' parts, no '//', no trailing '/'); write a.tmpl"],
    ['with a newline', withFile('"a\\n.tmpl"'), '"a', 'files[0].template', 'contains the control character U+000A; remove it'],
  ])('given a template %s, when parsed, then it is refused at the field', (_, text, needle, path, message) => {
    expect(errorsOf(text)).toEqual([at(text, needle, path, message)]);
  });

  it('given a context and containerfile inside the app folder, when parsed, then they are accepted', () => {
    expect(errorsOf(build('context: src/app, containerfile: docker/Containerfile, args: { V: "1" }'))).toEqual([]);
  });
});

describe('strings podman or a shell reads', () => {
  it.each<Row>([
    ['a NUL in an environment value', '  environment: { A: "x\\0y" }\n', '"x', 'container.environment.A', 'must not contain a NUL character; remove it'],
    ['a NUL in a command argument', '  command: [/bin/sh, "a\\0b"]\n', '"a', 'container.command[1]', 'must not contain a NUL character; remove it'],
    ['a quote in a probe path', "  health_check: { type: http, port: 80, path: \"/x';reboot;'\" }\n  network: host\n", '"/x', 'container.health_check.path', "must be a request path: '/' then URL characters (no spaces, quotes or control characters)"],
    ['a space in a probe path', '  health_check: { type: http, port: 80, path: "/a b" }\n  network: host\n', '"/a b"', 'container.health_check.path', "must be a request path: '/' then URL characters (no spaces, quotes or control characters)"],
  ])('given %s, then it is refused at the field', (_name, body, needle, path, message) => {
    const text = IMAGE_HEAD + body;
    expect(errorsOf(text)).toContain(at(text, needle, path, message));
  });

  it('given a probe path with a query string, then it is accepted', () => {
    expect(errorsOf(`${IMAGE_HEAD}  network: host\n  health_check: { type: http, port: 80, path: "/health?a=1&b=$(x)" }\n`)).toEqual([]);
  });
});
