// The one base of the errors podledger raises on purpose. Each says how a command that meets it
// ends, so the command line reads a field instead of asking every class by name.

/** 1: the input is wrong (fix it); 2: the command line is; 3: the machine is not ready (podman, the db). */
export type ExitKind = 'invalid' | 'usage' | 'runtime';

/** Its message reads "what failed: which thing: why; fix". */
export abstract class PodledgerError extends Error {
  abstract readonly exit: ExitKind;
}
