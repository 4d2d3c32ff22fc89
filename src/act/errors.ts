// An action's typed failure, naming what failed, which thing, and why (podman's own errors: src/podman/errors.ts).
import { PodledgerError } from '../core/errors.js';

/** An action failed; the reconciler records `code` and the message in `ActionFailed.data.error`. */
export class ActionError extends PodledgerError {
  readonly exit = 'runtime';
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionError';
  }
}
