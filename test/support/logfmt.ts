// A strict logfmt reader for tests, written from the format (as go-logfmt decodes it), not from our
// writer: bare values run to the next space; quoted values take \" \\ \n \r \t and \uXXXX escapes.
// Anything else (a stray quote, an unknown escape, a key without `=`) is an error, so a line the
// writer gets wrong fails the test instead of parsing into something close.
export function parseLogfmt(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not logfmt at column ${i}: ${why}: ${JSON.stringify(line)}`);
  };
  while (i < line.length) {
    if (line[i] === ' ') { i += 1; continue; }
    const keyStart = i;
    while (i < line.length && line[i] !== '=' && line[i] !== ' ' && line[i] !== '"') i += 1;
    if (line[i] !== '=' || i === keyStart) fail('a key must be a bare word followed by =');
    const key = line.slice(keyStart, i);
    i += 1;
    if (key in out) fail(`key ${key} twice`);
    if (line[i] !== '"') {
      const start = i;
      while (i < line.length && line[i] !== ' ') {
        if (line[i] === '"' || line[i] === '=' || line.charCodeAt(i) < 0x20) fail('a bare value holds a quote, = or a control character');
        i += 1;
      }
      out[key] = line.slice(start, i);
      continue;
    }
    i += 1;
    let value = '';
    for (;;) {
      if (i >= line.length) fail('unterminated quoted value');
      const c = line[i]!;
      if (c.charCodeAt(0) < 0x20) fail('a raw control character inside quotes');
      if (c === '"') { i += 1; break; }
      if (c !== '\\') { value += c; i += 1; continue; }
      const e = line[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) { value += simple[e]; i += 2; continue; }
      const hex = line.slice(i + 2, i + 6);
      if (e !== 'u' || !/^[0-9a-f]{4}$/i.test(hex)) fail(`unknown escape \\${e ?? ''}`);
      value += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    }
    if (i < line.length && line[i] !== ' ') fail('a quoted value must be followed by a space or the end');
    out[key] = value;
  }
  return out;
}
