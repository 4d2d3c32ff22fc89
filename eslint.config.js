// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure core must stay replayable: no I/O, no clock, no randomness. Time and ids arrive on events.
const ioModules = [
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'child_process', 'node:child_process',
  'http', 'node:http', 'os', 'node:os', 'dgram', 'node:dgram', 'level', 'classic-level', 'dockerode', 'chokidar',
  'tar-fs', 'uuid',
];

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
    files: ['src/core/**/*.ts', 'src/manifest/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'the pure core does no I/O: move this to an observer or the executor' })),
      }],
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
