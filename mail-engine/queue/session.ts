/**
 * One outbound SMTP connection (nodemailer's SMTP client): EHLO, STARTTLS when offered,
 * then any number of transactions, each answered per recipient. PIPELINING (RFC 2920) and
 * 8BITMIME (RFC 6152) are used by the client when the server offers them, SMTPUTF8 (RFC
 * 6531) for internationalised addresses; the caller checks that a message needing them
 * can go (prepare.ts). DSN parameters (RFC 3461) go on MAIL FROM and RCPT TO when the
 * server offers DSN; nodemailer gives every RCPT the same NOTIFY and ORCPT, so RCPT's
 * are written here, per recipient (see rcptDsnArgs).
 */
import type tls from "node:tls";
import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";
import { encodeXtext, type RcptDsn } from "../../lib/domain/dsn-params";

export interface SessionTarget {
  /** Address to connect to. */
  address: string;
  port: number;
  /** The MX host name: SNI and certificate check (RFC 7672 / RFC 8461 4.2). */
  hostName: string;
  /** Implicit TLS (a smart host on port 465). */
  implicitTls?: boolean;
  /** Never upgrade (a smart host with RELAY_TLS=none). */
  noTls?: boolean;
  /** STARTTLS with a certificate that verifies for hostName, or no delivery (MTA-STS enforce, smart host). */
  requireVerifiedTls?: boolean;
  auth?: { user: string; pass: string };
}

export interface SessionOptions {
  /** Our name in EHLO. */
  ehloName: string;
  localAddress?: string | null;
  connectTimeoutMs?: number;
}

export interface RecipientReply {
  address: string;
  code: number;
  reply: string;
}

export interface Envelope {
  from: string;
  to: string[];
  use8BitMime?: boolean;
  dsn?: { ret?: string | null; envid?: string | null; recipients?: Map<string, RcptDsn> };
}

/** A failure of the connection itself (refused, timed out, dropped, TLS failed): try another host or later. */
export class ConnectionFailure extends Error {
  constructor(message: string, readonly code = 0, readonly reply = "", readonly tlsFailed = false) {
    super(message);
  }
}

type Conn = InstanceType<typeof SMTPConnection> & {
  _supportedExtensions?: string[];
  _socket?: tls.TLSSocket;
  secure?: boolean;
  /** nodemailer 7.0.13 (pinned): the RCPT parameters, called right after the recipient is pushed onto _recipientQueue. */
  _getDsnRcptToArgs?: () => string;
  _recipientQueue?: string[];
  /** True from STARTTLS until the handshake completes. */
  upgrading?: boolean;
};

export class OutboundSession {
  private closed = false;
  /** Why a connection is in plaintext though TLS was tried (connect.ts's fallback), for the delivery log. */
  plaintextReason = "";
  /** The current transaction's per-recipient DSN parameters. */
  private rcptDsn: Map<string, RcptDsn> | undefined;

  private constructor(private readonly conn: Conn, readonly target: SessionTarget) {
    conn.on("error", () => undefined); // surfaced through the callbacks below
    conn.on("end", () => (this.closed = true));
    conn._getDsnRcptToArgs = () => this.rcptDsnArgs(conn._recipientQueue?.at(-1));
  }

  /** " NOTIFY=... ORCPT=..." for this RCPT, or "" (server without DSN, or nothing given). */
  private rcptDsnArgs(address: string | undefined): string {
    const p = address !== undefined ? this.rcptDsn?.get(address) : undefined;
    if (!p || !this.extensions.includes("DSN")) return "";
    const args = [p.notify ? `NOTIFY=${p.notify}` : "", p.orcpt ? `ORCPT=${encodeXtext(p.orcpt)}` : ""].filter(Boolean);
    return args.length ? ` ${args.join(" ")}` : "";
  }

  static async open(target: SessionTarget, opts: SessionOptions): Promise<OutboundSession> {
    const conn = new SMTPConnection({
      host: target.address,
      port: target.port,
      name: opts.ehloName,
      secure: !!target.implicitTls,
      ignoreTLS: !!target.noTls,
      requireTLS: !!target.requireVerifiedTls,
      // RFC 3207 4: opportunistic STARTTLS needs no trusted certificate; a verified one is recorded.
      tls: { rejectUnauthorized: !!target.requireVerifiedTls, servername: target.hostName, minVersion: "TLSv1.2" },
      localAddress: opts.localAddress ?? undefined,
      connectionTimeout: opts.connectTimeoutMs ?? 30_000,
      greetingTimeout: 60_000,
      // RFC 5321 4.5.3.2: DATA termination may take 10 minutes; commands 5.
      socketTimeout: 600_000,
      allowInternalNetworkInterfaces: true,
    } as ConstructorParameters<typeof SMTPConnection>[0]) as Conn;
    const s = new OutboundSession(conn, target);
    await new Promise<void>((resolve, reject) => {
      conn.once("error", (err: Error & { responseCode?: number; response?: string; code?: string }) => {
        // ETLS: STARTTLS refused by a reply; upgrading: the handshake itself failed.
        const tlsFailed = err.code === "ETLS" || conn.upgrading === true;
        reject(new ConnectionFailure(err.message, err.responseCode ?? 0, err.response ?? "", tlsFailed));
      });
      conn.connect(() => resolve());
    });
    // Nagle off: the client writes a message's final "." apart from its body, and with
    // Nagle that write waited for the server's ACK of the body, which Linux delays by 40 ms:
    // 40 ms per message on every connection. (Through STARTTLS the option reaches the TCP socket.)
    conn._socket?.setNoDelay(true);
    if (target.auth) {
      await new Promise<void>((resolve, reject) =>
        conn.login(target.auth!, (err) => (err ? reject(new ConnectionFailure(`AUTH failed: ${err.message}`, (err as { responseCode?: number }).responseCode ?? 0, (err as { response?: string }).response ?? "")) : resolve())),
      );
    }
    return s;
  }

  /** Extensions from the last EHLO (upper case keywords). */
  get extensions(): string[] {
    return this.conn._supportedExtensions ?? [];
  }

  /** "TLSv1.3 verified", "TLSv1.2 unverified (reason)", "" for plaintext, or why plaintext after a failed STARTTLS. */
  get tlsState(): string {
    const sock = this.conn._socket;
    if (!this.conn.secure || !sock || typeof sock.getProtocol !== "function") return this.plaintextReason;
    return `${sock.getProtocol()} ${sock.authorized ? "verified" : `unverified${sock.authorizationError ? ` (${String(sock.authorizationError)})` : ""}`}`;
  }

  get usable(): boolean {
    return !this.closed;
  }

  /**
   * One transaction. Resolves with every recipient's reply (the RCPT reply when refused,
   * else the reply after DATA); rejects with ConnectionFailure when the connection broke.
   */
  async send(env: Envelope, message: Buffer): Promise<RecipientReply[]> {
    const dsn = env.dsn && (env.dsn.ret || env.dsn.envid) ? { ret: env.dsn.ret, envid: env.dsn.envid } : undefined;
    this.rcptDsn = env.dsn?.recipients;
    const envelope = { from: env.from, to: env.to, size: message.length, use8BitMime: env.use8BitMime, dsn };
    return new Promise((resolve, reject) => {
      this.conn.send(envelope as never, message, (err, info) => {
        if (err) {
          const e = err as Error & { responseCode?: number; response?: string; rejectedErrors?: Array<{ recipient: string; responseCode?: number; response?: string }>; code?: string };
          if (e.rejectedErrors?.length && e.rejectedErrors.length === env.to.length) {
            return resolve(e.rejectedErrors.map((r) => ({ address: r.recipient, code: r.responseCode ?? 550, reply: r.response ?? e.message })));
          }
          if (e.responseCode) {
            const rejected = new Map((e.rejectedErrors ?? []).map((r) => [r.recipient, r]));
            return resolve(env.to.map((a) => {
              const r = rejected.get(a);
              return r ? { address: a, code: r.responseCode ?? e.responseCode!, reply: r.response ?? "" } : { address: a, code: e.responseCode!, reply: e.response ?? e.message };
            }));
          }
          return reject(new ConnectionFailure(e.message));
        }
        const rejected = new Map((info.rejectedErrors ?? []).map((r) => [(r as { recipient?: string }).recipient ?? "", r as Error & { responseCode?: number; response?: string }]));
        resolve(env.to.map((a) => {
          const r = rejected.get(a);
          return r ? { address: a, code: r.responseCode ?? 550, reply: r.response ?? r.message } : { address: a, code: 250, reply: info.response };
        }));
      });
    });
  }

  /** RSET (RFC 5321 4.1.1.5) after a refused transaction, before the next one. */
  async reset(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.conn.reset((err) => (err ? reject(new ConnectionFailure(err.message)) : resolve())));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.quit();
    } catch {
      this.conn.close();
    }
    setTimeout(() => this.conn.close(), 2000).unref();
  }
}
