// What commands print with: apart from commands.ts, so that a command printing and nothing else of
// theirs (validate) does not load every other command's modules (docs/benchmarks.md, start-up).
export const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
export const json = (value: unknown): void => out(JSON.stringify(value, null, 2));
