/**
 * A bare IMAP client for benchmarks: one TCP socket, one command at a time, and a reader
 * that only finds where the tagged answer ends. It follows literals ({N}, RFC 3501 4.3)
 * by skipping N bytes and keeps nothing but the current line and, on request, the
 * untagged lines, so a 10,000-message FETCH costs the client next to nothing and the
 * time measured is the server's.
 */
import net from "node:net";

export interface Reply {
  /** The tagged status line, e.g. "a3 OK done". */
  status: string;
  /** Untagged lines ("* ..."), literals left out; only when asked for. */
  untagged: string[];
  /** Untagged responses seen (kept or not). */
  untaggedCount: number;
  /** Bytes received for this command. */
  bytes: number;
}

interface Pending {
  tag: string;
  keep: boolean;
  reply: Reply;
  resolve(r: Reply): void;
  reject(e: Error): void;
}

const LITERAL_AT_END = /\{(\d+)\+?\}\r?\n$/;

export class ImapConnection {
  private line: Buffer[] = [];
  private literalLeft = 0;
  private pending: Pending | null = null;
  private greeted: ((line: string) => void) | null = null;
  private n = 0;
  private closedWith: Error | null = null;

  private constructor(private socket: net.Socket) {
    socket.on("data", (d: Buffer) => this.feed(d));
    const fail = (err: Error) => {
      this.closedWith = err;
      this.pending?.reject(err);
      this.pending = null;
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  /** Connects and waits for the server's greeting (RFC 3501 7.1.1 "* OK"). */
  static async connect(port: number, host = "127.0.0.1", timeoutMs = 10_000): Promise<ImapConnection> {
    const socket = net.connect({ port, host });
    socket.setNoDelay(true);
    const c = new ImapConnection(socket);
    const greeting = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no IMAP greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      c.greeted = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (!/^\* (OK|PREAUTH)/i.test(greeting)) throw new Error(`unexpected greeting: ${greeting}`);
    return c;
  }

  private feed(d: Buffer) {
    let at = 0;
    while (at < d.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, d.length - at);
        this.literalLeft -= take;
        at += take;
        if (this.pending) this.pending.reply.bytes += take;
        continue;
      }
      const nl = d.indexOf(10, at);
      if (nl === -1) {
        this.line.push(d.subarray(at));
        if (this.pending) this.pending.reply.bytes += d.length - at;
        return;
      }
      this.line.push(d.subarray(at, nl + 1));
      if (this.pending) this.pending.reply.bytes += nl + 1 - at;
      at = nl + 1;
      const text = (this.line.length === 1 ? this.line[0] : Buffer.concat(this.line)).toString("latin1");
      this.line = [];
      const lit = LITERAL_AT_END.exec(text);
      if (lit) {
        // The response goes on after the literal; a line that opens with a literal is untagged or a continuation.
        this.literalLeft = Number(lit[1]);
        this.onLine(text, true);
      } else this.onLine(text, false);
    }
  }

  private partial = "";

  private onLine(text: string, continues: boolean) {
    if (this.greeted) {
      const g = this.greeted;
      this.greeted = null;
      g(text.trimEnd());
      return;
    }
    const p = this.pending;
    if (!p) return;
    // A response line interrupted by literals is one logical line: count it once.
    const first = this.partial === "";
    if (continues) {
      if (p.keep) this.partial += text.replace(LITERAL_AT_END, "");
      else if (first) this.partial = text;
      if (first && text.startsWith("* ")) p.reply.untaggedCount++;
      return;
    }
    if (!first) {
      if (p.keep) p.reply.untagged.push((this.partial + text).trimEnd());
      this.partial = "";
      return;
    }
    if (text.startsWith("* ")) {
      p.reply.untaggedCount++;
      if (p.keep) p.reply.untagged.push(text.trimEnd());
    } else if (text.startsWith(p.tag + " ")) {
      this.pending = null;
      p.resolve({ ...p.reply, status: text.trimEnd() });
    }
  }

  /** Sends one command and resolves with its tagged answer; rejects unless it is OK (unless `allowNo`). */
  command(text: string, opts: { keep?: boolean; allowNo?: boolean } = {}): Promise<Reply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending) return Promise.reject(new Error("one command at a time"));
    const tag = `b${++this.n}`;
    return new Promise<Reply>((resolve, reject) => {
      this.pending = {
        tag,
        keep: opts.keep ?? false,
        reply: { status: "", untagged: [], untaggedCount: 0, bytes: 0 },
        resolve: (r) => {
          if (!opts.allowNo && !new RegExp(`^${tag} OK`, "i").test(r.status)) reject(new Error(`${text.slice(0, 60)}: ${r.status}`));
          else resolve(r);
        },
        reject,
      };
      this.socket.write(`${tag} ${text}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  async logout(): Promise<void> {
    try {
      await this.command("LOGOUT");
    } catch {
      /* the server may close first */
    }
    this.socket.destroy();
  }
}

/** A quoted string (RFC 3501 4.3) for user names and passwords without CR, LF or NUL. */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

/** Polls until an IMAP greeting arrives; `alive` fails fast when the server died starting. */
export async function waitForImap(port: number, opts: { timeoutMs?: number; alive?: () => string | null } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const dead = opts.alive?.();
    if (dead) throw new Error(dead);
    try {
      (await ImapConnection.connect(port, "127.0.0.1", 2000)).close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nothing answered IMAP on 127.0.0.1:${port}: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
