// What the podman benches share: the bench's images and network, waiting on a condition, an app's
// manifest in the bench's catalog, and whether a published port answers.
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

export const SLEEPER = 'localhost/bench/sleeper:1';
export const WEB = 'localhost/bench/web:1';
export const TRAP = "trap 'exit 0' TERM;";
/** the bridge network every bench container joins (made by benchPodman) */
export const NETWORK = 'bench-net';

export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function manifest(apps: string, id: string, body: string): Promise<void> {
  await writeManifest(apps, id, manifestText(id, body));
}

/** A bench app's manifest: the lines every bench app shares, then `body` (its container's own lines). */
export const manifestText = (id: string, body: string): string =>
  `app: { id: ${id}, name: ${id}, version: "1" }\ncontainer:\n  pull_policy: never\n  network: ${NETWORK}\n  stop_timeout: 2\n${body}`;

export async function writeManifest(apps: string, id: string, text: string): Promise<void> {
  await mkdir(path.join(apps, id), { recursive: true });
  await writeFile(path.join(apps, id, 'manifest.yml'), text);
}

export const allAnswer = async (ports: number[]) => (await Promise.all(ports.map(answers))).every(Boolean);
export const anyAnswers = async (ports: number[]) => (await Promise.all(ports.map(answers))).some(Boolean);

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => { res.resume(); resolve((res.statusCode ?? 500) < 400); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** The middle sample (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
}
