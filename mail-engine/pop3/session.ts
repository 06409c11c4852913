/**
 * One POP3 connection (RFC 1939): the AUTHORIZATION state (CAPA, STLS, USER/PASS, AUTH
 * PLAIN, QUIT), the TRANSACTION state (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP,
 * QUIT) and the UPDATE state that QUIT enters. Commands are answered in the order they
 * came (RFC 2449 6.6 PIPELINING); a bad command gets -ERR with a reason and the session
 * goes on.
 */
import type net from "node:net";
import tls from "node:tls";
import type { EngineContext } from "../context";
import type { Logger } from "../../lib/log";
import { authenticate, AuthError, type AuthenticatedAccount } from "../../lib/auth/authenticate";
import { createId } from "../../lib/domain/ids";
import { lockMaildrop } from "./in-use";
import { Maildrop, type DropMessage } from "./maildrop";
import { clientIp, decodePlain, isLoopback } from "./sasl-plain";

export interface SessionLimits {
  /** Before authentication: the whole AUTHORIZATION state must end within this (ms). */
  authTimeoutMs: number;
  /** After authentication: idle time before the autologout (RFC 1939 3: at least 10 minutes). */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: SessionLimits = { authTimeoutMs: 60_000, idleTimeoutMs: 10 * 60_000 };

/**
 * RFC 2449 4: a command line is at most 255 octets. AUTH PLAIN's base64 response may be
 * longer (RFC 5034 4 lifts the limit for it), so lines up to this many are read.
 */
export const MAX_LINE = 2048;
/** Pipelined commands read ahead of the one being answered before the socket is paused. */
const MAX_QUEUED = 64;
/** RFC 1939 leaves it to the server; Dovecot closes after a few failures too. */
export const MAX_AUTH_FAILURES = 3;

type State = "authorization" | "transaction" | "closed";

const TOO_LONG = Symbol("too long");

export class Pop3Session {
  readonly id = createId();
  readonly ip: string;
  private socket: net.Socket;
  private secure: boolean;
  private state: State = "authorization";
  private buf: Buffer = Buffer.alloc(0);
  private discarding = false;
  private queue: Array<string | typeof TOO_LONG> = [];
  private busy = false;
  private user: string | null = null;
  private saslPending = false;
  private failures = 0;
  private account: AuthenticatedAccount | null = null;
  private drop: Maildrop | null = null;
  private release: (() => void) | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;
  private readonly onData = (chunk: Buffer) => this.read(chunk);

  constructor(
    private readonly ctx: EngineContext,
    socket: net.Socket,
    private readonly opts: { implicitTls: boolean; limits: SessionLimits; secureContext: tls.SecureContext; onClose: (s: Pop3Session) => void },
    log: Logger,
  ) {
    this.socket = socket;
    this.secure = opts.implicitTls;
    this.ip = clientIp(socket.remoteAddress);
    this.log = log.child({ cid: this.id });
  }

  start(): void {
    this.log.debug("pop3.connect", { ip: this.ip, tls: this.secure });
    this.attach(this.socket);
    this.authTimer = setTimeout(() => this.timeout("authentication"), this.opts.limits.authTimeoutMs);
    this.send(`+OK ${this.ctx.config.hostname} POP3 ready`);
  }

  /** Ends the session without the UPDATE state (RFC 1939 6: only QUIT deletes). */
  shutdown(reason: string): void {
    if (this.state === "closed") return;
    this.send(`-ERR [SYS/TEMP] ${reason}`);
    this.close(reason);
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on("data", this.onData);
    socket.on("error", (err) => this.log.debug("pop3.socket_error", { ip: this.ip, error: err.message }));
    socket.on("close", () => this.close("disconnected"));
    socket.setTimeout(this.account ? this.opts.limits.idleTimeoutMs : this.opts.limits.authTimeoutMs);
    socket.on("timeout", () => this.timeout("idle"));
  }

  private timeout(what: string): void {
    if (this.state === "closed") return;
    this.log.info("pop3.timeout", { ip: this.ip, user: this.account?.email, what });
    this.send("-ERR autologout: idle for too long");
    this.close("timeout");
  }

  private read(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const lf = this.buf.indexOf(0x0a);
      if (lf === -1) {
        if (this.buf.length > MAX_LINE) {
          this.discarding = true;
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      const line = this.buf.subarray(0, lf);
      this.buf = this.buf.subarray(lf + 1);
      if (this.discarding || line.length > MAX_LINE) {
        this.discarding = false;
        this.queue.push(TOO_LONG);
      } else {
        this.queue.push(line.toString("utf8").replace(/\r$/, ""));
      }
    }
    if (this.queue.length > MAX_QUEUED) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && this.state !== "closed") {
        const line = this.queue.shift()!;
        if (this.queue.length <= MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
        if (line === TOO_LONG) {
          this.saslPending = false;
          this.send(`-ERR line too long (at most ${MAX_LINE} octets)`);
          continue;
        }
        try {
          await this.command(line);
        } catch (err) {
          if (this.closed()) break;
          this.log.error("pop3.error", { ip: this.ip, user: this.account?.email, command: line.split(" ")[0].toUpperCase(), error: err });
          this.send("-ERR [SYS/TEMP] internal error; try again later");
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private send(line: string): void {
    if (this.state !== "closed" && !this.socket.destroyed) this.socket.write(line + "\r\n");
  }

  /** Writes a piece of a multi-line response; resolves when the socket can take more. */
  private write = (b: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      if (this.state === "closed" || this.socket.destroyed) return reject(new Error("connection closed"));
      if (this.socket.write(b)) return resolve();
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        if (this.state === "closed" || this.socket.destroyed) reject(new Error("connection closed"));
        else resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });

  /** The state as of now (awaits in between may have closed the session). */
  private closed(): boolean {
    return this.state === "closed";
  }

  private plaintextAllowed(): boolean {
    return this.secure || isLoopback(this.ip);
  }

  private async command(line: string): Promise<void> {
    if (this.saslPending) {
      this.saslPending = false;
      return this.authPlain(line);
    }
    // RFC 1939 3: a case-insensitive keyword and arguments separated by single spaces.
    // Trailing and doubled spaces are forgiven; PASS takes its argument from the raw line.
    const [word, ...args] = line.split(" ").filter(Boolean);
    const cmd = (word ?? "").toUpperCase();
    if (!cmd) return this.send("-ERR empty command");
    if (cmd === "CAPA") return this.capa();
    if (cmd === "QUIT") return this.quit();
    if (this.state === "authorization") {
      switch (cmd) {
        case "STLS":
          return this.stls();
        case "USER":
          return this.userCmd(args);
        case "PASS":
          return this.pass(line.slice(5));
        case "AUTH":
          return this.auth(args);
        case "APOP":
          return this.send("-ERR APOP is not supported; use USER/PASS or AUTH PLAIN over TLS");
        case "STAT": case "LIST": case "UIDL": case "RETR": case "TOP": case "DELE": case "RSET": case "NOOP":
          return this.send(`-ERR ${cmd} needs authentication first (USER/PASS or AUTH PLAIN)`);
        default:
          return this.send(`-ERR unknown command ${cmd.slice(0, 20)}`);
      }
    }
    const drop = this.drop!;
    switch (cmd) {
      case "STAT": {
        if (args.length) return this.send("-ERR STAT takes no arguments");
        const live = drop.live();
        return this.send(`+OK ${live.length} ${live.reduce((n, [, m]) => n + m.size, 0)}`);
      }
      case "LIST":
      case "UIDL":
        return this.listing(cmd, args);
      case "RETR":
        return this.retr(args);
      case "TOP":
        return this.top(args);
      case "DELE": {
        const m = this.message(args, 1);
        if (!m) return;
        m.deleted = true;
        return this.send(`+OK message ${args[0]} deleted`);
      }
      case "RSET":
        for (const m of drop.messages) m.deleted = false;
        return this.send(`+OK maildrop has ${drop.messages.length} messages`);
      case "NOOP":
        return this.send("+OK");
      case "STLS":
        return this.send("-ERR STLS only before authentication");
      case "USER": case "PASS": case "AUTH": case "APOP":
        return this.send("-ERR already authenticated");
      default:
        return this.send(`-ERR unknown command ${cmd.slice(0, 20)}`);
    }
  }

  /** Parses "msg" (and with want=2, "msg n"), answering -ERR itself when they are wrong. */
  private message(args: string[], want: 1 | 2): DropMessage | null {
    if (args.length !== want || !args.every((a) => /^\d{1,9}$/.test(a))) {
      this.send(want === 1 ? "-ERR expected one message number" : "-ERR expected a message number and a line count");
      return null;
    }
    const m = this.drop!.get(Number(args[0]));
    if (!m) this.send(`-ERR no such message: ${args[0]}`);
    return m;
  }

  /** RFC 2449 5: what this state offers; before TLS from outside, no way to send a password. */
  private capa(): void {
    const caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if (this.state === "authorization") {
      if (this.plaintextAllowed()) caps.push("USER", "SASL PLAIN");
      if (!this.secure) caps.push("STLS");
    }
    caps.push("IMPLEMENTATION mail-suite");
    this.send(`+OK capability list follows\r\n${caps.join("\r\n")}\r\n.`);
  }

  /** RFC 2595 4: STLS, then a TLS handshake; anything the client pipelined after it is discarded. */
  private async stls(): Promise<void> {
    if (this.secure) return this.send("-ERR TLS is already active");
    const raw = this.socket;
    raw.off("data", this.onData);
    raw.removeAllListeners("timeout");
    raw.removeAllListeners("close");
    this.queue = [];
    this.buf = Buffer.alloc(0);
    this.send("+OK begin TLS negotiation");
    raw.setTimeout(0);
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.opts.secureContext });
    this.secure = true;
    await new Promise<void>((resolve) => {
      const fail = (err: Error) => {
        this.log.info("pop3.tls_failed", { ip: this.ip, error: err.message });
        secure.destroy();
        this.close("tls failed");
        resolve();
      };
      secure.once("error", fail);
      secure.once("secure", () => {
        secure.off("error", fail);
        this.attach(secure);
        resolve();
      });
    });
  }

  private userCmd(args: string[]): void {
    if (!this.plaintextAllowed()) return this.send("-ERR [AUTH] plaintext authentication is disallowed without TLS; send STLS first");
    if (args.length !== 1 || !args[0]) return this.send("-ERR USER expects one name");
    this.user = args[0];
    this.send("+OK send PASS");
  }

  private async pass(password: string): Promise<void> {
    if (!this.plaintextAllowed()) return this.send("-ERR [AUTH] plaintext authentication is disallowed without TLS; send STLS first");
    const user = this.user;
    this.user = null;
    if (!user) return this.send("-ERR send USER first");
    // RFC 1939 7: the password may contain spaces, so it is the rest of the line.
    await this.login(user, password, "user");
  }

  private async auth(args: string[]): Promise<void> {
    if (args.length === 0) return this.send("+OK\r\nPLAIN\r\n."); // the mechanism list older clients ask for
    if (!this.plaintextAllowed()) return this.send("-ERR [AUTH] plaintext authentication is disallowed without TLS; send STLS first");
    if (args[0].toUpperCase() !== "PLAIN") return this.send(`-ERR unsupported SASL mechanism ${args[0].slice(0, 20)}; only PLAIN`);
    if (args.length > 2) return this.send("-ERR AUTH PLAIN takes at most one initial response");
    // RFC 5034 4: without an initial response (or with "="), the server sends an empty challenge.
    if (args.length === 1 || args[1] === "=") {
      this.saslPending = true;
      return this.send("+ ");
    }
    return this.authPlain(args[1]);
  }

  private async authPlain(response: string): Promise<void> {
    if (response === "*") return this.send("-ERR authentication cancelled");
    const creds = decodePlain(response);
    if (!creds) return this.fail("-ERR malformed AUTH PLAIN response (base64 of authzid NUL user NUL password)", "malformed");
    // RFC 4616 2: an authorisation identity other than the user's own would be acting as someone else.
    if (creds.authzid && creds.authzid.toLowerCase() !== creds.username.toLowerCase()) {
      return this.fail(`-ERR [AUTH] ${creds.username} may not act as ${creds.authzid}`, "authzid");
    }
    await this.login(creds.username, creds.password, "plain");
  }

  private async login(username: string, password: string, method: string): Promise<void> {
    let account: AuthenticatedAccount;
    try {
      account = await authenticate(this.ctx.db, this.ctx.config, { username, password, ip: this.ip, allowAppPasswords: true });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      this.log.warn("pop3.auth_failed", { ip: this.ip, user: username, method, reason: err.reason });
      // RFC 3206 4: [AUTH] means the credentials, [SYS/TEMP] that trying later may work.
      if (err.reason === "locked") return this.fail("-ERR [SYS/TEMP] too many failed sign-ins from your address; try again later", err.reason);
      if (err.reason === "disabled") return this.fail("-ERR [AUTH] this account is disabled", err.reason);
      return this.fail("-ERR [AUTH] wrong user name or password", err.reason);
    }
    if (this.state === "closed") return;
    const release = lockMaildrop(account.id);
    if (!release) {
      this.log.info("pop3.in_use", { ip: this.ip, user: account.email });
      return this.send("-ERR [IN-USE] another POP3 session has this maildrop open; try again after it ends");
    }
    let drop: Maildrop;
    try {
      drop = await Maildrop.open(this.ctx, account.id);
    } catch (err) {
      release();
      throw err;
    }
    if (this.closed()) return release();
    this.account = account;
    this.drop = drop;
    this.release = release;
    this.state = "transaction";
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    this.socket.setTimeout(this.opts.limits.idleTimeoutMs);
    const bytes = drop.messages.reduce((n, m) => n + m.size, 0);
    this.log.info("pop3.login", { ip: this.ip, user: account.email, method, tls: this.secure, messages: drop.messages.length, bytes });
    this.send(`+OK maildrop has ${drop.messages.length} messages (${bytes} octets)`);
  }

  private fail(reply: string, reason: string): void {
    this.failures++;
    if (this.failures >= MAX_AUTH_FAILURES) {
      this.send(`${reply}; closing after ${this.failures} failed attempts`);
      this.log.warn("pop3.auth_closed", { ip: this.ip, failures: this.failures, reason });
      this.close("authentication failures");
      return;
    }
    this.send(reply);
  }

  private async listing(cmd: "LIST" | "UIDL", args: string[]): Promise<void> {
    const drop = this.drop!;
    const value = (m: DropMessage) => (cmd === "LIST" ? String(m.size) : drop.uidl(m));
    if (args.length) {
      const m = this.message(args, 1);
      if (m) this.send(`+OK ${args[0]} ${value(m)}`);
      return;
    }
    const lines = drop.live().map(([n, m]) => `${n} ${value(m)}\r\n`);
    await this.write(Buffer.from(`+OK ${lines.length} messages\r\n${lines.join("")}.\r\n`));
  }

  private async retr(args: string[]): Promise<void> {
    const m = this.message(args, 1);
    if (!m) return;
    if (!(await this.drop!.exists(m))) return this.send(`-ERR message ${args[0]} was removed by another session`);
    if (!(await this.streamed(`+OK ${m.size} octets`, m))) return;
    await this.drop!.markSeen(m);
  }

  private async top(args: string[]): Promise<void> {
    const m = this.message(args, 2);
    if (!m) return;
    if (!(await this.drop!.exists(m))) return this.send(`-ERR message ${args[0]} was removed by another session`);
    await this.streamed("+OK top of message follows", m, Number(args[1]));
  }

  /**
   * Sends a message after its +OK line. Once that line is out, a failure cannot become an
   * -ERR any more (the client would take it for message text), so the connection is closed
   * and the client sees a response without its terminating ".".
   */
  private async streamed(okLine: string, m: DropMessage, topLines?: number): Promise<boolean> {
    await this.write(Buffer.from(okLine + "\r\n"));
    try {
      await this.drop!.stream(m, this.write, topLines);
      return true;
    } catch (err) {
      if (!this.closed()) {
        this.log.error("pop3.error", { ip: this.ip, user: this.account?.email, command: topLines === undefined ? "RETR" : "TOP", uid: m.uid, error: err });
        this.close("failed while sending a message");
      }
      return false;
    }
  }

  private async quit(): Promise<void> {
    if (this.state !== "transaction") {
      this.send(`+OK ${this.ctx.config.hostname} POP3 signing off`);
      return this.close("quit");
    }
    let deleted = 0;
    try {
      deleted = await this.drop!.commit();
    } catch (err) {
      // RFC 1939 6: when the removal fails, QUIT answers -ERR.
      this.log.error("pop3.error", { ip: this.ip, user: this.account?.email, command: "QUIT", error: err });
      this.send("-ERR [SYS/TEMP] some deleted messages were not removed; try again");
      return this.close("quit", 0);
    }
    this.send(`+OK ${this.ctx.config.hostname} POP3 signing off (${deleted} messages deleted)`);
    this.close("quit", deleted);
  }

  private close(reason: string, deleted = 0): void {
    if (this.state === "closed") return;
    const wasIn = this.state === "transaction";
    this.state = "closed";
    if (this.authTimer) clearTimeout(this.authTimer);
    this.release?.();
    this.release = null;
    if (wasIn) this.log.info("pop3.logout", { ip: this.ip, user: this.account!.email, reason, deleted });
    // The last reply is flushed, then the socket goes: a client that never closes its side
    // must not hold the connection (or the engine's shutdown).
    const socket = this.socket;
    socket.end(() => socket.destroy());
    setTimeout(() => socket.destroy(), 5_000).unref();
    this.opts.onClose(this);
  }
}
