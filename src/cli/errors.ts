// The command line's own errors, by exit code (see main.ts): what a command throws to stop with one line.
import { PodledgerError } from '../core/errors.js';

/** Exit code 2: the command line itself is wrong. */
export class UsageError extends PodledgerError {
  readonly exit = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit code 1: the input is invalid or a check found a divergence. */
export class InvalidInputError extends PodledgerError {
  readonly exit = 'invalid';
  constructor(message: string, readonly output?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}
