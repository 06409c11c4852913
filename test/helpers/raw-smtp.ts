/**
 * A bare SMTP client over a raw socket: sends exactly the bytes a test gives and reads
 * whole replies (multi-line aware), with a timeout so no test can hang.
 */
import net from "node:net";
import tls from "node:tls";

export interface Reply {
  code: number;
  text: string;
  lines: string[];
}

export class RawSmtp {
  private buffer = "";
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buffer += d;
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

  /** This end's port, to find the connection in a trace of the server. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /**
   * Connects and expects a 220 greeting. `localAddress` binds the client side to another
   * loopback address (127.0.0.2, ...), which the server sees as an outside client; `host`
   * is the server's address (default 127.0.0.1).
   */
  static async connect(port: number, opts: { tls?: boolean; localAddress?: string; host?: string } = {}): Promise<RawSmtp> {
    const { client, greeting } = await RawSmtp.open(port, opts);
    if (greeting.code !== 220) throw new Error(`unexpected greeting ${greeting.code} ${greeting.text}`);
    return client;
  }

  /** Connects without sending anything and without judging the first reply. */
  static async dial(port: number, opts: { tls?: boolean; localAddress?: string; host?: string } = {}): Promise<RawSmtp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ port, host: opts.host ?? "127.0.0.1", localAddress: opts.localAddress, rejectUnauthorized: false } as tls.ConnectionOptions, () => resolve(s))
        : net.connect({ port, host: opts.host ?? "127.0.0.1", localAddress: opts.localAddress }, () => resolve(s));
      s.once("error", reject);
    });
    return new RawSmtp(socket);
  }

  /** Connects and reads the first reply, whatever it is, with the ms it took from the TCP connect. */
  static async open(port: number, opts: { tls?: boolean; localAddress?: string; host?: string } = {}): Promise<{ client: RawSmtp; greeting: Reply; ms: number }> {
    const client = await RawSmtp.dial(port, opts);
    const started = performance.now();
    const greeting = await client.read();
    return { client, greeting, ms: performance.now() - started };
  }

  /** Reads one complete reply. */
  async read(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.take();
      if (reply) return reply;
      if (this.closed) throw new Error(`connection closed while waiting for a reply (buffer: ${JSON.stringify(this.buffer)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buffer)})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private take(): Reply | null {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = this.buffer.indexOf("\r\n", pos);
      if (nl === -1) return null;
      const line = this.buffer.slice(pos, nl);
      lines.push(line);
      pos = nl + 2;
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        this.buffer = this.buffer.slice(pos);
        return { code: Number(line.slice(0, 3)), text: lines.map((l) => l.slice(4)).join("\n"), lines };
      }
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(line + "\r\n");
    return this.read();
  }

  async startTls(): Promise<void> {
    const r = await this.command("STARTTLS");
    if (r.code !== 220) throw new Error(`STARTTLS refused: ${r.code} ${r.text}`);
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("close");
    this.socket.removeAllListeners("error");
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: this.socket as net.Socket, rejectUnauthorized: false }, () => resolve(s));
      s.once("error", reject);
    });
    this.socket = secure;
    this.closed = false;
    this.attach(secure);
  }

  /** Whether the server has closed the connection (waits up to timeoutMs for it). */
  async isClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function authPlain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString("base64");
}
