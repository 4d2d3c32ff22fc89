// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure core must stay replayable: no I/O, no clock, no randomness. Time and ids arrive on events.
const ioModules = [
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'child_process', 'node:child_process',
  'http', 'node:http', 'os', 'node:os', 'dgram', 'node:dgram', 'level', 'classic-level', 'dockerode', 'chokidar',
  'tar-fs', 'uuid',
];

// Layers, one way down: a folder of src/ imports only from the folders below it (docs/architecture.md).
//
//   cli  bench  tools      bench may also use cli (its in-memory log); tools the command definitions (docs/cli.md)
//   web                    the web UI's server and API (its page in src/web/ui, bundled for the browser)
//   daemon
//   act | observe          adapters: never each other
//   podman                 the podman adapter both use: client, spec → create options, inspect → differences
//   log | host             host: the node's files both adapters read (build contexts, secrets)
//   manifest               authoring: YAML with positions, cross-app checks, policy, JSON Schema
//   core                   pure: events, state, evolve, spec and hash, planner, why, core/manifest (the model)
/** @type {Record<string, string[]>} */
const mayImport = {
  core: [],
  manifest: ['core'],
  log: ['core', 'manifest'],
  host: ['core', 'manifest'],
  podman: ['core', 'manifest', 'log', 'host'],
  act: ['core', 'manifest', 'log', 'host', 'podman'],
  observe: ['core', 'manifest', 'log', 'host', 'podman'],
  daemon: ['core', 'manifest', 'log', 'host', 'podman', 'act', 'observe'],
  web: ['core', 'manifest', 'log', 'host', 'podman', 'act', 'observe', 'daemon'],
  cli: ['core', 'manifest', 'log', 'host', 'podman', 'act', 'observe', 'daemon', 'web'],
  bench: ['core', 'manifest', 'log', 'host', 'podman', 'act', 'observe', 'daemon', 'web', 'cli'],
  tools: ['core', 'manifest', 'log', 'host', 'podman', 'act', 'observe', 'daemon', 'web', 'cli'],
};
const layers = Object.keys(mayImport);
/** Layers whose code must stay replayable (no I/O); with the clock and randomness rules below. */
const pure = ['core', 'manifest'];
/** Folders nest at most this deep below src/<layer>/ (the rule is written out per depth). */
const MAX_DEPTH = 6;

/**
 * `no-restricted-imports` for the files of one layer at one depth (1: src/<layer>/x.ts), where
 * `'../'.repeat(depth)` is src/: each folder it may not use is a pattern with its own message.
 * @param {string} layer
 * @param {number} depth
 * @returns {import('eslint').Linter.Config}
 */
function layerRule(layer, depth) {
  const up = '\\.\\./'.repeat(depth);
  const patterns = layers.filter((other) => other !== layer && !mayImport[layer].includes(other)).map((other) => ({
    regex: `^${up}${other}(/|$)`,
    message: `layers go one way down: src/${layer} may not import src/${other} (it may import ${mayImport[layer].map((l) => `src/${l}`).join(', ') || 'nothing outside src/core'}; see docs/architecture.md)`,
  }));
  const paths = pure.includes(layer)
    ? ioModules.map((name) => ({ name, message: 'the pure core does no I/O: move this to an observer or the executor' }))
    : [];
  return {
    files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.podman/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Small rooms: a source file does one job, a function fits on a screen (data tables are consts).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  ...layers.flatMap((layer) => Array.from({ length: MAX_DEPTH }, (_, i) => layerRule(layer, i + 1))),
  {
    files: pure.map((layer) => `src/${layer}/**/*.ts`),
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'the pure core reads no clock: take the time from the event' },
        { object: 'Math', property: 'random', message: 'the pure core uses no randomness: take ids from the event' },
        { object: 'process', property: 'env', message: 'the pure core reads no environment' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'the pure core reads no clock' },
      ],
    },
  },
);
