/**
 * IMAP clients for tests: imapflow signed in as a test user, and a bare client over a
 * raw socket that sends exact bytes and reads until the tagged answer (with a timeout).
 */
import net from "node:net";
import tls from "node:tls";
import { ImapFlow } from "imapflow";
import { PASSWORD } from "./engine";

export async function imapflow(port: number, user: string, opts: { secure?: boolean; password?: string } = {}): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: opts.secure ?? false,
    auth: { user, pass: opts.password ?? PASSWORD },
    tls: { rejectUnauthorized: false },
    logger: false,
    disableAutoIdle: true,
  });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

export class RawImap {
  buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private n = 0;

  private constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number, opts: { localAddress?: string; secure?: boolean } = {}): Promise<RawImap> {
    const socket: net.Socket = await new Promise((resolve, reject) => {
      const s = opts.secure
        ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...(opts.localAddress ? ({ localAddress: opts.localAddress } as object) : {}) }, () => resolve(s))
        : net.connect({ host: "127.0.0.1", port, localAddress: opts.localAddress }, () => resolve(s));
      s.once("error", reject);
    });
    const c = new RawImap(socket);
    await c.until((t) => /\r\n/.test(t));
    return c;
  }

  /** Waits until the text received so far satisfies `done`; returns it and clears the buffer. */
  async until(done: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.buffer.toString("latin1");
      if (done(text)) {
        this.buffer = Buffer.alloc(0);
        return text;
      }
      if (this.closed) return text;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received so far: ${JSON.stringify(text.slice(-500))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `tag command` and returns everything up to and including the tagged line. */
  async command(text: string, timeoutMs = 5000): Promise<{ tag: string; text: string; status: string; line: string }> {
    const tag = `t${++this.n}`;
    this.write(`${tag} ${text}\r\n`);
    return this.waitTagged(tag, timeoutMs);
  }

  async waitTagged(tag: string, timeoutMs = 5000): Promise<{ tag: string; text: string; status: string; line: string }> {
    const re = new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`);
    const out = await this.until((t) => re.test(t), timeoutMs);
    const m = re.exec(out);
    return { tag, text: out, status: m ? m[2] : "CLOSED", line: m ? m[0].trim() : "" };
  }

  async starttls(): Promise<void> {
    const r = await this.command("STARTTLS");
    if (r.status !== "OK") throw new Error(r.text);
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const t = tls.connect({ socket: this.socket, rejectUnauthorized: false }, () => resolve(t));
      t.once("error", reject);
    });
    this.socket.removeAllListeners("data");
    this.socket = s;
    this.attach(s);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A raw connection signed in as `user` (the test password). */
export async function rawSignedIn(port: number, user: string): Promise<RawImap> {
  const c = await RawImap.connect(port);
  const r = await c.command(`LOGIN ${user} "${PASSWORD}"`);
  if (r.status !== "OK") throw new Error(`LOGIN ${user} failed: ${r.text}`);
  return c;
}
