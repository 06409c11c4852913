/**
 * The load generator: a minimal SMTP client over raw sockets (no pipelining, one
 * command in flight per connection) and a runner where N sessions share one counter
 * of messages. Each session connects, sends EHLO once, then per message MAIL FROM,
 * RCPT TO, DATA, the body and the terminator, reusing the connection; QUIT at the end.
 * Per-message latency runs from writing MAIL FROM to reading the reply after DATA.
 *
 * With `newConnection`, each message gets its own TCP connection (connect, greeting,
 * EHLO, the transaction, QUIT), as an MX sees most real traffic; latency then runs
 * from the connect to the reply after DATA. `localAddress` binds the client side
 * (127.0.0.2 is an outside client to our engine's connection policy).
 */
import net from "node:net";
import type { MessageFactory } from "./message";

export interface Reply {
  code: number;
  text: string;
}

/** One SMTP connection; replies are parsed as they arrive (multi-line aware). */
export class SmtpConnection {
  private buf = "";
  private lines: string[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private queued: Reply[] = [];
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("error", (err) => this.fail(err));
    sock.on("close", () => this.fail(new Error("connection closed by server")));
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 120_000, localAddress?: string): Promise<SmtpConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host, localAddress }, () => {
        sock.off("error", reject);
        sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no reply within ${timeoutMs} ms`)));
        resolve(new SmtpConnection(sock));
      });
      sock.once("error", reject);
    });
  }

  private onData(d: Buffer) {
    this.buf += d.toString("latin1");
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) !== -1) {
      const line = this.buf.slice(0, nl).replace(/\r$/, "");
      this.buf = this.buf.slice(nl + 1);
      this.lines.push(line);
      // "250-..." continues, "250 ..." (or a bare code) ends the reply.
      if (line.length < 4 || line[3] !== "-") {
        const reply = { code: Number(line.slice(0, 3)) || 0, text: this.lines.join("\n") };
        this.lines = [];
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w.resolve(reply);
        } else this.queued.push(reply);
      }
    }
  }

  private fail(err: Error) {
    if (this.failure) return;
    this.failure = err;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(err);
    }
  }

  /** The next reply (the greeting right after connect, then one per command). */
  reply(): Promise<Reply> {
    const r = this.queued.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Writes `data` (a command line with CRLF, or a whole DATA body) and reads the reply. */
  send(data: string | Buffer): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    this.sock.write(data);
    return this.reply();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.failure) return resolve();
      this.sock.once("close", () => resolve());
      this.send("QUIT\r\n").catch(() => {});
      setTimeout(() => {
        this.sock.destroy();
        resolve();
      }, 2000).unref();
    });
  }

  destroy() {
    this.sock.destroy();
  }
}

export interface LoadOptions {
  port: number;
  host?: string;
  messages: number;
  sessions: number;
  from: string;
  to: string;
  factory: MessageFactory;
  ehloName?: string;
  /** One TCP connection per message instead of one per session. */
  newConnection?: boolean;
  /** Client-side address to bind (e.g. 127.0.0.2). */
  localAddress?: string;
}

export interface LoadResult {
  accepted: number;
  failed: number;
  /** Per accepted message, milliseconds from MAIL FROM to the reply after DATA. */
  latenciesMs: Float64Array;
  /** From before the first connect to the last reply, milliseconds. */
  elapsedMs: number;
  /** When the run started (performance.now() clock), for callers that keep timing. */
  startedAt: number;
  /** The first few failure descriptions. */
  failures: string[];
  /** Queue ids (or reply texts) of accepted messages, in completion order. */
  replies: string[];
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  let accepted = 0;
  let failed = 0;
  const failures: string[] = [];
  const latencies = new Float64Array(o.messages);
  const replies: string[] = [];
  const noteFailure = (what: string) => {
    failed++;
    if (failures.length < 10) failures.push(what);
  };
  const mailFrom = `MAIL FROM:<${o.from}> SIZE=${o.factory.approxSize}\r\n`;
  const rcptTo = `RCPT TO:<${o.to}>\r\n`;

  /** One message on its own connection: connect, greeting, EHLO, transaction, QUIT. */
  const oneShot = async (n: number) => {
    const t0 = performance.now();
    let conn: SmtpConnection | null = null;
    try {
      conn = await SmtpConnection.connect(o.port, o.host, 120_000, o.localAddress);
      const steps: Array<[string, string | Buffer, number[]]> = [
        ["EHLO", `EHLO ${o.ehloName ?? "bench-client.example"}\r\n`, [250]],
        ["MAIL FROM", mailFrom, [250]],
        ["RCPT TO", rcptTo, [250, 251]],
        ["DATA", "DATA\r\n", [354]],
        ["end of data", o.factory.wire(n), [250]],
      ];
      const greet = await conn.reply();
      if (greet.code !== 220) throw new Error(`greeting: ${greet.text}`);
      let last: Reply = greet;
      for (const [name, data, ok] of steps) {
        last = await conn.send(data);
        if (!ok.includes(last.code)) throw new Error(`${name}: ${last.text}`);
      }
      const t1 = performance.now();
      latencies[accepted++] = t1 - t0;
      replies.push(last.text);
      await conn.send("QUIT\r\n").catch(() => undefined);
    } catch (err) {
      noteFailure(`#${n} ${(err as Error).message}`);
    } finally {
      conn?.destroy();
    }
  };

  const session = async (id: number) => {
    if (o.newConnection) {
      while (next < o.messages) await oneShot(next++);
      return;
    }
    let conn: SmtpConnection;
    try {
      conn = await SmtpConnection.connect(o.port, o.host, 120_000, o.localAddress);
      const greet = await conn.reply();
      if (greet.code !== 220) throw new Error(`greeting: ${greet.text}`);
      const ehlo = await conn.send(`EHLO ${o.ehloName ?? "bench-client.example"}\r\n`);
      if (ehlo.code !== 250) throw new Error(`EHLO: ${ehlo.text}`);
    } catch (err) {
      if (failures.length < 10) failures.push(`session ${id}: ${(err as Error).message}`);
      return;
    }
    try {
      while (next < o.messages) {
        const n = next++;
        const wire = o.factory.wire(n);
        const t0 = performance.now();
        const mail = await conn.send(mailFrom);
        if (mail.code !== 250) {
          noteFailure(`#${n} MAIL FROM: ${mail.text}`);
          await conn.send("RSET\r\n");
          continue;
        }
        const rcpt = await conn.send(rcptTo);
        if (rcpt.code !== 250 && rcpt.code !== 251) {
          noteFailure(`#${n} RCPT TO: ${rcpt.text}`);
          await conn.send("RSET\r\n");
          continue;
        }
        const data = await conn.send("DATA\r\n");
        if (data.code !== 354) {
          noteFailure(`#${n} DATA: ${data.text}`);
          await conn.send("RSET\r\n");
          continue;
        }
        const done = await conn.send(wire);
        const t1 = performance.now();
        if (done.code !== 250) {
          noteFailure(`#${n} end of data: ${done.text}`);
          continue;
        }
        latencies[accepted++] = t1 - t0;
        replies.push(done.text);
      }
    } catch (err) {
      // The connection broke with a message in flight: that message is a failure; the
      // other sessions go on taking from the counter.
      noteFailure(`session ${id}: ${(err as Error).message}`);
      conn.destroy();
      return;
    }
    await conn.close();
  };

  const startedAt = performance.now();
  await Promise.all(Array.from({ length: o.sessions }, (_, i) => session(i)));
  const elapsedMs = performance.now() - startedAt;
  // Messages never claimed because every session died.
  if (next < o.messages) {
    failed += o.messages - next;
    failures.push(`${o.messages - next} message(s) never sent: no session left`);
  }
  return { accepted, failed, latenciesMs: latencies.slice(0, accepted), elapsedMs, startedAt, failures, replies };
}

/** One connection that waits for the greeting and quits: the sender has talked to this MX before. */
export async function warmUp(port: number, localAddress?: string): Promise<Reply> {
  const conn = await SmtpConnection.connect(port, "127.0.0.1", 30_000, localAddress);
  try {
    const greet = await conn.reply();
    await conn.send("QUIT\r\n").catch(() => undefined);
    return greet;
  } finally {
    conn.destroy();
  }
}
