// The manifest's JSON Schema (for editors: completion, hover docs, red squiggles) and its Markdown
// reference, both generated from the zod schema in src/core/manifest/schema.ts, so neither can drift from what the
// daemon accepts. Pure: `npm run schema` (src/tools/schema.ts) writes them to docs/.
import * as z from 'zod';
import { FACT_NAMES } from '../core/facts.js';
import { containerSchema, manifestSchema } from '../core/manifest/schema.js';

export const SCHEMA_ID = 'urn:podledger:manifest';
export const SCHEMA_TITLE = 'podledger app manifest';

/** What core/manifest/units.ts's parseDuration accepts as text: number+unit parts, surrounding blanks allowed. */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h))+\\s*$';
/** What core/manifest/units.ts's parseSize accepts as text (case-insensitive unit, optional `i`/`b`: `64MiB`). */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*[bkmgBKMG]?[iI]?[bB]?\\s*$';

/** The repo-relative files `npm run schema` writes, with their content. */
export const GENERATED_FILES = {
  json: 'docs/manifest.schema.json',
  markdown: 'docs/manifest.md',
} as const;

type JsonSchema = {
  [key: string]: unknown;
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
};

// Formats JSON Schema (draft-07) defines; zod also emits its own (e.g. `starts_with`, next to a
// `pattern` that already says the same), which validators in strict mode reject as unknown.
const STANDARD_FORMATS = new Set([
  'date-time', 'date', 'time', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4', 'ipv6', 'uri',
  'uri-reference', 'iri', 'iri-reference', 'uri-template', 'json-pointer', 'relative-json-pointer', 'regex',
]);

const DURATION_SCHEMA: JsonSchema[] = [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'number', minimum: 0 }];
const SIZE_SCHEMA: JsonSchema[] = [{ type: 'string', pattern: SIZE_PATTERN }, { type: 'integer', minimum: 1 }];

/**
 * The JSON Schema (draft-07, the draft editors support best) of a manifest as written: `io: 'input'`,
 * so fields with defaults are optional and durations/sizes accept their text forms.
 */
export function manifestJsonSchema(): object {
  const rewritten = new Set<string>();
  const generated = z.toJSONSchema(manifestSchema(), {
    io: 'input',
    target: 'draft-07',
    // Everything in the manifest schema is representable; a new construct that is not should fail
    // `npm run schema` loudly rather than silently become "anything goes".
    unrepresentable: 'throw',
    reused: 'inline',
    cycles: 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      const json = jsonSchema as JsonSchema;
      const unit = unitOf(zodSchema);
      if (unit) {
        // zod sees `string | number`; say which strings (and numbers) the unit actually takes.
        delete json.type;
        json.anyOf = structuredClone(unit === 'duration' ? DURATION_SCHEMA : SIZE_SCHEMA);
      }
      if (json.format !== undefined && !STANDARD_FORMATS.has(json.format)) delete json.format;
      // JSON Schema patterns have no flags: spell a case-insensitive regex out.
      const patterns = regexesOf(zodSchema);
      if (typeof json.pattern === 'string' && patterns.length === 1 && patterns[0]?.flags.includes('i') && !rewritten.has(json.pattern)) {
        json.pattern = caseInsensitive(json.pattern);
        rewritten.add(json.pattern);
      }
      // With io 'input', zod drops the default of any subtree that transforms (its default is an
      // output value). Where that value is also a valid input that parses to itself, keep it.
      const def = zodSchema._zod.def;
      if (def.type === 'default' && json.default === undefined) {
        const value: unknown = (def as unknown as { defaultValue: unknown }).defaultValue;
        const parsed = z.safeParse(def.innerType, value);
        if (parsed.success && JSON.stringify(parsed.data) === JSON.stringify(value)) json.default = structuredClone(value);
      }
      // "exactly one of image or build" (the zod refinement) is representable: say it.
      if (zodSchema === containerSchema()) json.oneOf = [{ required: ['image'] }, { required: ['build'] }];
    },
  }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: SCHEMA_TITLE,
    description: 'An app manifest, apps/<id>/manifest.yml. Generated from the zod schema in src/core/manifest/schema.ts by `npm run schema`; the daemon checks a few more rules (see docs/manifest.md).',
    ...rest,
  };
}

/** The regexes a zod string schema checks (`.regex()`, `.startsWith()`, ...). */
function regexesOf(schema: z.core.$ZodType): RegExp[] {
  const checks = (schema._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  return checks.map((c) => (c._zod.def as { pattern?: unknown }).pattern).filter((p): p is RegExp => p instanceof RegExp);
}

/** A zod schema that parses unit text: recognised by what it does, not by how it is built. */
function unitOf(schema: z.core.$ZodType): 'duration' | 'size' | undefined {
  const out = (input: unknown): unknown => {
    try {
      const r = z.safeParse(schema, input);
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  };
  if (out('1m') === 60_000 && out(2) === 2_000) return 'duration';
  if (out('1k') === 1024 && out(2) === 2) return 'size';
  return undefined;
}

/** `^[a-z_]+$` → `^[a-zA-Z_]+$`, `CAP_` → `[cC][aA][pP]_`: the same language as the `i` flag gives. */
export function caseInsensitive(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else if (c === '[') {
      const end = classEnd(source, i);
      out += caseInsensitiveClass(source.slice(i, end + 1));
      i = end;
    } else if (/[a-z]/i.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    } else {
      out += c;
    }
  }
  return out;
}

function classEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']' && i > start + 1) return i;
  }
  throw new Error(`unterminated character class in /${source}/`);
}

function caseInsensitiveClass(cls: string): string {
  const body = cls.slice(1, -1);
  const added: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\') { i++; continue; }
    const isRange = body[i + 1] === '-' && i + 2 < body.length && body[i + 2] !== '\\';
    const last = isRange ? (body[i + 2] as string) : c;
    if (/[a-z]/i.test(c) && /[a-z]/i.test(last)) {
      const flip = (s: string) => (s === s.toLowerCase() ? s.toUpperCase() : s.toLowerCase());
      added.push(isRange ? `${flip(c)}-${flip(last)}` : flip(c));
    }
    if (isRange) i += 2;
  }
  // Prepended (after a negating `^`): a trailing `-` stays last, where it means itself.
  const missing = added.filter((a) => !body.includes(a)).join('');
  return body.startsWith('^') ? `[^${missing}${body.slice(1)}]` : `[${missing}${body}]`;
}

// ---------------------------------------------------------------------------------------------
// Markdown reference

type Section = { anchor: string; title: string; intro: string[]; rows: string[][] };

/** The hand-written part of docs/manifest.md, above the generated tables (a data table, not logic). */
const REFERENCE_INTRO: readonly string[] = [
    '# App manifest reference',
    '',
    '<!-- Generated by `npm run schema` from src/core/manifest/schema.ts: do not edit by hand. -->',
    '',
    `Each app is a folder \`apps/<id>/\` with a \`manifest.yml\`. Unknown keys are errors, never ignored.`,
    `podledger reports every problem as \`file:line:col: field.path: message\`.`,
    '',
    '## Editor support',
    '',
    `[manifest.schema.json](manifest.schema.json) is the JSON Schema (draft-07) of a manifest as written. With an`,
    `editor using [yaml-language-server](https://github.com/redhat-developer/yaml-language-server) (e.g. the`,
    `VS Code YAML extension), start a manifest in \`apps/<id>/\` with`,
    '',
    '```yaml',
    '# yaml-language-server: $schema=../../docs/manifest.schema.json',
    '```',
    '',
    'for completion, hover docs and errors as you type (from `examples/demo/apps/<id>/`, the path is',
    '`../../../../docs/manifest.schema.json`). Or map the schema to every manifest once, in `.vscode/settings.json`:',
    '',
    '```json',
    '{ "yaml.schemas": { "./docs/manifest.schema.json": ["apps/*/manifest.yml", "examples/demo/apps/*/manifest.yml"] } }',
    '```',
    '',
    'The JSON Schema checks field names, types, patterns, ranges and "exactly one of `image` or `build`";',
    'podledger checks a few more rules (below) when it reads the manifest.',
    '',
    '## Durations and sizes',
    '',
    '- A **duration** is a string of number-and-unit parts, units `ms`, `s`, `m`, `h`: `500ms`, `30s`, `5m`,',
    '  `1h30m`, `1.5s`; or a bare number of seconds (`600`).',
    '- A **size** is a number with a binary unit `b`, `k`, `m`, `g` (k = 1024 bytes; any case, an optional',
    '  `i`/`b` suffix: `512k`, `64m`, `64MiB`, `1g`); or a bare whole number of bytes. It must be larger than zero.',
    '',
    '## Rules beyond the JSON Schema',
    '',
    'podledger checks these too; an editor using the JSON Schema does not:',
    '',
    '- `app.id` equals the app\'s folder name.',
    '- An environment key is set once across `environment`, `derived_env` and `secret_env`.',
    `- \`derived_env[].template\` names only known host facts: ${FACT_NAMES.map((f) => `\`{{${f}}}\``).join(', ')}.`,
    '- `secret_env[].secret_file` (and `{{secret:NAME}}` in templates) is a file name in the secrets dir: no `/`, no `..`.',
    '- A `health_check` of type `http` or `tcp` is probed at the container\'s own address on its network (on',
    '  `host`, 127.0.0.1): its port need not be published. On `none` or `ns:/PATH` the engine has no address',
    '  to reach, so only `exec` checks are accepted there.',
    '- `files[].path` lies under one of the app\'s bind sources.',
    '- A size comes to more than zero bytes (`0m` is refused).',
    '- Paths podman mounts (`volumes[].source`, `volumes[].target`, `files[].path`) are absolute and written',
    '  normalised (no `.` or `..` parts, no `//`, no trailing `/`), without `:`, `,` or control characters; a',
    '  target is not `/`.',
    '- `network` is a bridge network name (letters, digits, `_ . -`, at most 63, not a podman mode such as',
    '  `bridge`, `private`, `slirp4netns` or `pasta`), `host`, `none`, or `container:NAME` / `ns:/PATH`, which',
    '  join another network namespace and need the node policy\'s `join-namespace` rule.',
    '- `devices[]` are `/dev/HOST[:/dev/CONTAINER][:rwm]`: both paths normalised under `/dev`, each of r, w, m at',
    '  most once.',
    '- `image` is `[registry/]name[:tag][@sha256:digest]` with a lower-case name, at most 512 characters.',
    '- `build.context`, `build.containerfile` and `files[].template` are relative, normalised, without `..`:',
    '  inside the app folder (the Containerfile inside the context). A template is read only as a regular',
    '  file, never through a symbolic link. A link in a build context may lead anywhere inside the app',
    '  folder, and out of it only to a host file the node policy lists under `build_host_files`.',
    '- A manifest is at most 256 KiB and a template at most 1 MiB; YAML nested more than 32 levels deep,',
    '  with more than 1,000 keys in one mapping, or with more than 100 aliases to resolve, is refused.',
    '- The node\'s policy (`--policy`, else /etc/podledger/policy.yml, else policy.yml beside the apps folder) refuses, unless it lists the rule under',
    '  `allow.<app id>`: host network (`host-network`), joining another namespace (`join-namespace`), added',
    '  capabilities (`cap-add`), devices (`devices`), binds outside `<data_root>/<app id>`',
    '  (`bind-outside-data-root`) and binds of protected paths (`sensitive-bind`). Its `build_host_files` lists',
    '  the host files a build context may link to (none by default).',
    '',
    '## Reference',
    '',
];

/** docs/manifest.md: one table per object of the manifest, from the same JSON Schema. */
export function manifestReference(schema: object = manifestJsonSchema()): string {
  const root = schema as JsonSchema;
  const sections = objectSections(root, 'top level', 'top-level', []);
  const out: string[] = [...REFERENCE_INTRO  ];
  for (const s of sections) {
    out.push(`<a id="${s.anchor}"></a>`, '', `### ${s.title}`, '');
    if (s.intro.length > 0) out.push(...s.intro, '');
    out.push('| Field | Type | Default | Required | Description |', '| --- | --- | --- | --- | --- |');
    for (const row of s.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The section of an object schema, then the sections of the objects below it, in field order. */
function objectSections(node: JsonSchema, title: string, anchor: string, intro: string[]): Section[] {
  const own: Section = { anchor, title, intro, rows: [] };
  const below: Section[] = [];
  const required = new Set(node.required ?? []);
  const oneOfRequired = (node.oneOf ?? []).flatMap((b) => (Object.keys(b).length === 1 && b.required?.length === 1 ? b.required : []));
  for (const [name, prop] of Object.entries(node.properties ?? {})) {
    const path = anchor === 'top-level' ? name : `${title}.${name}`;
    const { type, sections } = typeOf(prop, path, prop.description);
    below.push(...sections);
    const req = required.has(name) ? 'yes' : oneOfRequired.includes(name) ? `exactly one of ${oneOfRequired.map((n) => `\`${n}\``).join(', ')}` : '';
    own.rows.push([`\`${name}\``, type, defaultOf(prop), req, describe(prop)]);
  }
  return [own, ...below];
}

function typeOf(node: JsonSchema, path: string, parentDescription: string | undefined): { type: string; sections: Section[] } {
  const unit = unitName(node);
  if (unit) return { type: `[${unit}](#durations-and-sizes)`, sections: [] };
  const variants = node.oneOf ?? node.anyOf;
  if (variants && node.type === undefined) {
    const discriminated = variants.every((v) => v.properties?.type?.const !== undefined);
    if (discriminated) {
      const sections = variants.flatMap((v) => {
        const tag = String(v.properties?.type?.const);
        const intro = [`\`type: ${tag}\`${v.properties?.type?.description ? `: ${v.properties.type.description}.` : ''}`];
        return objectSections(v, `${path} (type: ${tag})`, anchorOf(`${path}-${tag}`), intro);
      });
      const links = variants.map((v) => `[\`${String(v.properties?.type?.const)}\`](#${anchorOf(`${path}-${String(v.properties?.type?.const)}`)})`);
      return { type: `object by \`type\`: ${links.join(', ')}`, sections };
    }
    const parts = variants.map((v) => typeOf(v, path, parentDescription));
    return { type: parts.map((p) => p.type).join(' or '), sections: parts.flatMap((p) => p.sections) };
  }
  if (node.type === 'object' && node.properties) {
    const anchor = anchorOf(path);
    return { type: `[object](#${anchor})`, sections: objectSections(node, path, anchor, parentDescription ? [`${capital(parentDescription)}.`] : []) };
  }
  if (node.type === 'object' && typeof node.additionalProperties === 'object') {
    const value = typeOf(node.additionalProperties, `${path}.*`, undefined);
    const keys = node.propertyNames?.pattern ? `, keys \`${node.propertyNames.pattern}\`` : '';
    return { type: `map of ${value.type}${keys}`, sections: value.sections };
  }
  if (node.type === 'array' && node.items) {
    const items = typeOf(node.items, `${path}[]`, parentDescription);
    return { type: `${node.minItems ? 'non-empty ' : ''}list of ${items.type}`, sections: items.sections };
  }
  if (node.const !== undefined) return { type: `\`${String(node.const)}\``, sections: [] };
  if (node.enum) return { type: node.enum.map((v) => `\`${String(v)}\``).join(' or '), sections: [] };
  return { type: scalar(node), sections: [] };
}

function scalar(node: JsonSchema): string {
  const types = Array.isArray(node.type) ? node.type : [node.type ?? 'any'];
  let text = types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : (types[0] as string);
  if (node.format) text += ` (${node.format})`;
  else if (node.pattern) {
    const prefix = /^\^\\?(.)\.\*$/.exec(node.pattern);
    text += prefix ? ` starting with \`${prefix[1]}\`` : `, pattern \`${node.pattern}\``;
  }
  if (node.minLength === 1) text = `non-empty ${text}`;
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  if (node.minimum !== undefined && max !== undefined) text += ` ${node.minimum}–${max}`;
  else if (node.minimum !== undefined) text += ` ≥ ${node.minimum}`;
  if (node.exclusiveMinimum !== undefined) text += ` > ${node.exclusiveMinimum}`;
  return text;
}

function unitName(node: JsonSchema): 'duration' | 'size' | undefined {
  const pattern = node.anyOf?.[0]?.pattern;
  return pattern === DURATION_PATTERN ? 'duration' : pattern === SIZE_PATTERN ? 'size' : undefined;
}

function defaultOf(node: JsonSchema): string {
  if (node.default === undefined) return '';
  if (node.type === 'object' && node.properties && typeof node.default === 'object') return 'each field\'s default';
  return `\`${JSON.stringify(node.default)}\``;
}

/** A field's description, without the unit explanation that "Durations and sizes" gives once. */
function describe(node: JsonSchema): string {
  return (node.description ?? '').replace(/\s*\((duration|size): [^)]*\)$/, '');
}

const anchorOf = (path: string) => path.toLowerCase().replace(/\[\]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Content of every generated file, keyed by its repo-relative path. */
export function generatedFiles(): Record<string, string> {
  const schema = manifestJsonSchema();
  return {
    [GENERATED_FILES.json]: `${JSON.stringify(schema, null, 2)}\n`,
    [GENERATED_FILES.markdown]: manifestReference(schema),
  };
}
