// A stand-in for systemd's notification socket: a real AF_UNIX datagram socket (which Node cannot
// open, hence a small python3 helper) that records each message and the pid its credentials name
// (SO_PASSCRED), as systemd sees them. Used to test the daemon's sd_notify messages.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface NotifyMessage {
  /** the sender's pid as the kernel vouches for it */
  pid: number;
  /** KEY=VALUE lines of the datagram */
  lines: string[];
  at: number;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  /** resolves with the first message (from the start) for which `match` holds */
  waitFor(match: (m: NotifyMessage) => boolean, what: string, timeoutMs?: number): Promise<NotifyMessage>;
  close(): Promise<void>;
}

export const canListen = (): boolean => spawnSync('python3', ['--version']).status === 0;

// Receives with room for credentials and passed fds (systemd-notify's BARRIER=1 passes one; closing
// it tells the sender the message was read, as systemd does). One JSON line per datagram.
const HELPER = `
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"listening": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4 * 16))
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(len(data) // 4):
                os.close(struct.unpack("i", data[4 * i:4 * i + 4])[0])
    print(json.dumps({"pid": pid, "message": msg.decode("utf-8", "replace")}), flush=True)
`;

export async function listenForNotifications(): Promise<NotifySocket> {
  const dir = await mkdtemp(join(tmpdir(), 'podledger-notify-'));
  const path = join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', HELPER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const messages: NotifyMessage[] = [];
  const listeners = new Set<() => void>();
  const listening = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the notify socket helper exited ${code} before listening: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { listening?: true; pid?: number; message?: string };
      if (parsed.listening) return resolve();
      messages.push({ pid: parsed.pid ?? 0, lines: (parsed.message ?? '').split('\n').filter(Boolean), at: Date.now() });
      listeners.forEach((l) => l());
    });
  });
  await listening;
  return {
    path,
    messages,
    waitFor(match, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(match);
          if (!hit) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${what} on the notify socket within ${timeoutMs} ms; got: ${JSON.stringify(messages.map((m) => m.lines))}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async close() {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const has = (line: string) => (m: NotifyMessage): boolean => m.lines.includes(line);
