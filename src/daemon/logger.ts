// Daemon log lines: text for people, or one JSON object per line with --json. Never secrets: callers
// pass names and hashes only.
export interface Logger {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export function createLogger(json: boolean, clock: () => number = Date.now, out: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: 'info' | 'error', message: string, fields: Record<string, unknown>) => {
    const at = new Date(clock()).toISOString();
    if (json) out.write(`${JSON.stringify({ at, level, message, ...fields })}\n`);
    else {
      const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      out.write(`${at} ${level === 'error' ? 'ERROR ' : ''}${message}${extra ? `  ${extra}` : ''}\n`);
    }
  };
  return { info: (m, f) => write('info', m, f), error: (m, f) => write('error', m, f) };
}
