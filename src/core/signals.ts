// Exit codes as a shell reports them: above 128, the process was killed by signal (code − 128).
// Linux numbering (the node podman runs on); a table rather than node:os, which the pure core may not import.
const LINUX_SIGNALS: readonly string[] = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** The signal an exit code says killed the process (137 → SIGKILL), or null when it exited by itself. */
export function signalOf(exitCode: number): string | null {
  if (!Number.isInteger(exitCode) || exitCode <= 128 || exitCode > 128 + 64) return null;
  const n = exitCode - 128;
  return LINUX_SIGNALS[n] || (n >= 34 ? `SIGRTMIN+${n - 34}` : `signal ${n}`);
}
