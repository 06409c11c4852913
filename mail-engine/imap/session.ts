/**
 * One IMAP connection (RFC 3501 3: states not authenticated, authenticated, selected,
 * logout). Commands are read whole (parser/reader.ts), run one at a time in arrival
 * order (a bounded number may wait: pipelining), and answered by the command modules
 * (commands/*), each declaring the states it is valid in.
 *
 * The selected mailbox is a view: its UIDs in sequence order and the flags last told to
 * the client. Changes from anywhere (SMTP, the web, other sessions) are read from the
 * store's journal (lib/store/journal.ts) when the change feed says the mailbox changed,
 * and told as EXISTS / EXPUNGE / FETCH FLAGS where RFC 3501 5.2 and 7.4.1 allow: EXPUNGE
 * never during FETCH, STORE or SEARCH (the client's sequence numbers must hold), always
 * during IDLE and NOOP.
 */
import type net from "node:net";
import tls from "node:tls";
import type { EngineContext } from "../context";
import type { AuthenticatedAccount } from "../../lib/auth/authenticate";
import type { Logger } from "../../lib/log";
import type { ChangeFeed } from "../../lib/store/change-feed";
import { toSequenceSet } from "../../lib/store/sequence-set";
import { CommandReader, DEFAULT_LIMITS, tagOf, type RawCommand } from "./parser/reader";
import { parseCommand, ParseError, type ParsedCommand } from "./parser/tokens";
import { inRanges, lowerBound, mergeRanges, parseSequenceSet } from "./parser/sequence";
import { encode, type Value } from "./encode";
import { writeChunks } from "./write-chunks";
import { commandTable } from "./commands";
import { mailboxModSeq } from "../../lib/store/fetch-rows";
import { announceChanges } from "./mailbox-updates";
import { contextsExpunging, refreshContexts, type SearchContext } from "./search-context";
import { fetchNew, type Notifier } from "./notify";
import { DeflateStream } from "./deflate-stream";

export type State = "not-authenticated" | "authenticated" | "selected" | "logout";

export interface SelectedMailbox {
  id: string;
  name: string;
  readOnly: boolean;
  uidValidity: number;
  /** UIDs in sequence order (message n is uids[n-1]), as the client knows them. */
  uids: number[];
  /** Flags as last told to the client, by UID. */
  flags: Map<number, string>;
  /** Journal position: changes with a higher MODSEQ are not yet read. */
  modSeq: bigint;
  /** Expunged elsewhere, not yet told (their sequence numbers stay until then). */
  pendingExpunge: Set<number>;
  /** Flag changes read from the journal, not yet told. */
  pendingFlags: Set<number>;
  /** The folder's keywords as last told in FLAGS (RFC 3501 7.2.6). */
  keywords: string;
  /** UIDs that are \Recent for this session (RFC 3501 2.3.2; lib/store/ops/recent.ts). */
  recent: Set<number>;
  /** Searches with RETURN (UPDATE) being followed (RFC 5267 4.3; search-context.ts). */
  contexts?: SearchContext[];
}

export class CommandError extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Thrown by a command that has already answered (STARTTLS). */
export class Silent extends Error {}

export const no = (message: string, code?: string) => new CommandError("NO", message, code);
export const bad = (message: string) => new CommandError("BAD", message);

export interface SessionOptions {
  ctx: EngineContext;
  feed: ChangeFeed;
  socket: net.Socket;
  secure: boolean;
  cid: string;
  log: Logger;
  /** Called for STARTTLS: wraps the socket. */
  upgrade?: (socket: net.Socket) => tls.TLSSocket;
}

/** RFC 3501 5.4: an autologout timer of at least 30 minutes once authenticated. */
export const AUTH_TIMEOUT_MS = 30 * 60_000;
/** Before sign-in no command needs a large literal: a stranger cannot make us hold megabytes. */
const PRE_AUTH_MAX_LITERAL = 8 * 1024;
/** Commands waiting behind the running one before the socket stops being read. */
const MAX_QUEUED = 20;

export class Session {
  readonly ctx: EngineContext;
  readonly feed: ChangeFeed;
  socket: net.Socket;
  secure: boolean;
  readonly cid: string;
  readonly ip: string;
  readonly log: Logger;
  state: State = "not-authenticated";
  account: AuthenticatedAccount | null = null;
  selected: SelectedMailbox | null = null;
  enabled = new Set<string>();
  /** What NOTIFY asked to be told (RFC 5465; notify.ts), null without NOTIFY or after NOTIFY NONE. */
  notifier: Notifier | null = null;
  private reader = new CommandReader({ ...DEFAULT_LIMITS, maxLiteral: PRE_AUTH_MAX_LITERAL });
  private queue: RawCommand[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** A command waiting for the client's next line (AUTHENTICATE, IDLE's DONE). */
  private lineWaiter: ((line: string) => void) | null = null;
  /** Set while IDLE runs: a change is told at once. */
  idling = false;
  private flushing: Promise<void> = Promise.resolve();
  private changed = false;
  /** The selected mailbox's HIGHESTMODSEQ as the running command read it (sawModSeq), for the check after it. */
  private readModSeq: { sel: SelectedMailbox; modSeq: bigint } | null = null;
  /** Updates and NOTIFY deliveries under way (serialised). */
  private serialRunning = 0;
  private timerMs = 0;
  private closed = false;
  readonly upgrade?: (socket: net.Socket) => tls.TLSSocket;

  constructor(opts: SessionOptions) {
    this.ctx = opts.ctx;
    this.feed = opts.feed;
    this.socket = opts.socket;
    this.secure = opts.secure;
    this.cid = opts.cid;
    this.log = opts.log;
    this.upgrade = opts.upgrade;
    this.ip = plainIp(opts.socket.remoteAddress ?? "");
    this.attach(opts.socket);
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose());
    this.touch();
  }

  /** IMAP4rev2 enabled (RFC 9051 6.3.1): no \Recent, SEARCH answered with ESEARCH. */
  get rev2(): boolean {
    return this.enabled.has("IMAP4REV2");
  }

  /** Whether COMPRESS DEFLATE is active (RFC 4978). */
  compressed = false;

  /** RFC 4978: from now on the socket carries deflated data both ways; bytes already read after the command are compressed ones. */
  startCompression(): void {
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("close");
    this.compressed = true;
    const pending = this.reader.takeBuffered();
    this.attach(new DeflateStream(raw, pending) as unknown as net.Socket);
  }

  start(): void {
    this.send(`* OK [CAPABILITY ${this.capabilities().join(" ")}] ${this.ctx.config.hostname} IMAP4rev1 ready\r\n`);
  }

  /** RFC 3501 7.2.1; what applies before and after TLS and sign-in. */
  capabilities(): string[] {
    const caps = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "CHILDREN", "BINARY", "ESEARCH", "CONDSTORE", "QRESYNC", "MULTIAPPEND", "QUOTA", "QUOTA=RES-STORAGE", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "CATENATE", "CONTEXT=SEARCH", "NOTIFY"];
    if (this.state === "not-authenticated") {
      if (!this.secure && this.upgrade) caps.push("STARTTLS");
      if (this.plaintextAllowed()) caps.push("AUTH=PLAIN");
      else caps.push("LOGINDISABLED");
    } else if (!this.compressed) caps.push("COMPRESS=DEFLATE");
    return caps;
  }

  /** RFC 3501 6.2.3 / 11.2, RFC 8314: passwords only over TLS, except from this host itself. */
  plaintextAllowed(): boolean {
    return this.secure || this.ip === "127.0.0.1" || this.ip === "::1";
  }

  // --- output ---

  /** Responses that go out with the next write: the last of a FETCH's with its tagged OK, one system call instead of two. */
  private held: Array<string | Buffer> | null = null;

  hold(parts: Array<string | Buffer>): void {
    if (parts.length) (this.held ??= []).push(...parts);
  }

  /** Writes what hold() kept when no tagged response follows (NOTIFY's unsolicited FETCHes). */
  flushHeld(): Promise<void> {
    return this.held ? this.send([]) : Promise.resolve();
  }

  /** Writes; resolves when the socket can take more (backpressure for large FETCHes). */
  send(data: string | Buffer | Array<string | Buffer>): Promise<void> {
    if (this.held) {
      data = [...this.held, ...(Array.isArray(data) ? data : [data])];
      this.held = null;
    }
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    // One write per response: a FETCH line is built from hundreds of small pieces, and a
    // socket.write for each cost more than the whole rest of a large FETCH (bench/imap.ts).
    const ok = Array.isArray(data) ? writeChunks(this.socket, data) : this.socket.write(data);
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.once("drain", done);
      this.socket.once("close", done);
    });
  }

  untagged(text: string): Promise<void> {
    return this.send(`* ${text}\r\n`);
  }

  /** An untagged response with IMAP values after a text prefix. */
  untaggedValues(prefix: string, values: Value[]): Promise<void> {
    const out: Array<string | Buffer> = [`* ${prefix}`];
    for (const v of values) {
      out.push(" ");
      encode(v, out);
    }
    out.push("\r\n");
    return this.send(out);
  }

  private tagged(tag: string, status: "OK" | "NO" | "BAD", text: string, code?: string): Promise<void> {
    return this.send(`${tag} ${status} ${code ? `[${code}] ` : ""}${text.replace(/[\r\n]+/g, " ")}\r\n`);
  }

  // --- input ---

  private onData(d: Buffer): void {
    this.touch();
    this.reader.push(d);
    this.drainReader();
  }

  private drainReader(): void {
    for (;;) {
      if (this.closed) return;
      if (this.queue.length >= MAX_QUEUED) {
        this.socket.pause();
        return;
      }
      const ev = this.reader.next();
      if (ev.kind === "more") return;
      if (ev.kind === "continue") {
        void this.send("+ Ready for literal data\r\n");
        continue;
      }
      if (ev.kind === "error") {
        this.enqueueError(ev.tag, ev.message);
        continue;
      }
      const cmd = ev.command;
      if (this.lineWaiter && cmd.literals.length === 0 && cmd.text.length === 1) {
        const w = this.lineWaiter;
        this.lineWaiter = null;
        w(cmd.text[0]);
        continue;
      }
      this.queue.push(cmd);
      void this.pump();
    }
  }

  private enqueueError(tag: string, message: string): void {
    // Answered in order with the commands before it.
    this.queue.push({ text: [`\u0000error ${tag} ${message}`], literals: [] });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && !this.closed) {
        const raw = this.queue.shift()!;
        if (this.socket.isPaused() && this.queue.length < MAX_QUEUED / 2) {
          this.socket.resume();
          setImmediate(() => this.drainReader());
        }
        try {
          await this.runOne(raw);
        } catch (err) {
          // runOne answers every failure itself; this is the last line of defence for the process.
          this.log.error("imap.error", { cid: this.cid, err });
        }
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * NOTIFY (RFC 5465 3.1): the client listens between commands too. During IDLE the
   * changes are told at once; between commands a pseudo-command in the queue tells them,
   * so they never land inside another response; during a command, at its end.
   */
  private wake(): void {
    if (this.closed || !this.notifier) return;
    if (this.idling) void this.tellNotifications(true);
    else if (!this.running && !this.queue.includes(NOTIFY_WAKE)) {
      this.queue.push(NOTIFY_WAKE);
      void this.pump();
    }
  }

  /** The selected mailbox's changes (when NOTIFY watches it) and the other mailboxes' events. */
  private async tellNotifications(mayExpunge: boolean): Promise<void> {
    const n = this.notifier;
    if (!n) return;
    if (this.selected && n.selected) await this.flushUpdates(mayExpunge && n.selected.filter.kind === "selected");
    await this.serialised(() => n.deliver());
  }

  private async runOne(raw: RawCommand): Promise<void> {
    const first = raw.text[0];
    if (raw === NOTIFY_WAKE) {
      await this.tellNotifications(true);
      return;
    }
    if (first.startsWith("\u0000error ")) {
      const [, tag, ...rest] = first.split(" ");
      await this.answerBad(tag, rest.join(" "));
      return;
    }
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(raw);
    } catch (err) {
      await this.answerBad(tagOf(first), err instanceof Error ? err.message : String(err));
      return;
    }
    let name = cmd.name;
    let uid = false;
    if (name === "UID") {
      const sub = cmd.args[0];
      if (!sub || sub.type !== "atom") {
        await this.tagged(cmd.tag, "BAD", "UID needs a command: FETCH, STORE, SEARCH, SORT, THREAD, COPY, MOVE or EXPUNGE");
        return;
      }
      name = sub.value.toUpperCase();
      uid = true;
      cmd = { ...cmd, name, args: cmd.args.slice(1) };
      if (!["FETCH", "STORE", "SEARCH", "SORT", "THREAD", "COPY", "MOVE", "EXPUNGE"].includes(name)) {
        await this.tagged(cmd.tag, "BAD", `UID ${name} is not a command`);
        return;
      }
    }
    const spec = commandTable().get(name);
    if (!spec) {
      await this.tagged(cmd.tag, "BAD", `unknown command ${name.slice(0, 40)}`);
      return;
    }
    if (!spec.states.includes(this.state)) {
      const why = this.state === "not-authenticated" ? "sign in first (LOGIN or AUTHENTICATE)" : this.state === "authenticated" ? "select a mailbox first" : `not valid in state ${this.state}`;
      await this.tagged(cmd.tag, "BAD", `${name} is not allowed now: ${why}`);
      return;
    }
    this.readModSeq = null;
    try {
      const text = await spec.run(this, cmd, uid);
      if (this.state === "logout" && name === "LOGOUT") return;
      // RFC 3501 7.4.1: EXPUNGE may not be sent during FETCH, STORE or SEARCH (but may with UID); RFC 5256 5 adds SORT and THREAD.
      const mayExpunge = uid || !["FETCH", "STORE", "SEARCH", "SORT", "THREAD"].includes(name);
      // The check after the command, unless the command's own read found the mailbox where the view is (sawModSeq).
      if (this.selected && !spec.noUpdates && !this.unmovedSinceRead()) await this.flushUpdates(mayExpunge);
      if (this.notifier) await this.serialised(() => this.notifier?.deliver() ?? Promise.resolve());
      const t = typeof text === "string" ? { text } : text ?? { text: `${name} completed` };
      await this.tagged(cmd.tag, "OK", t.text, t.code);
    } catch (err) {
      this.readModSeq = null; // what a failed command read is not used later
      if (err instanceof Silent) return;
      if (err instanceof ParseError) await this.answerBad(cmd.tag, err.message);
      else if (err instanceof CommandError) await this.tagged(cmd.tag, err.status, err.message, err.code);
      else {
        this.log.error("imap.error", { cid: this.cid, command: name, err });
        await this.tagged(cmd.tag, "NO", "the server failed to complete the command; try again", "SERVERBUG");
      }
    }
  }

  private answerBad(tag: string, message: string): Promise<void> {
    return tag === "*" ? this.untagged(`BAD ${message}`) : this.tagged(tag, "BAD", message);
  }

  /** The client's next line (for AUTHENTICATE continuations and IDLE's DONE). */
  nextLine(): Promise<string | null> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(null);
      this.lineWaiter = resolve;
      this.onCloseOnce = () => resolve(null);
      this.drainReader();
    });
  }
  private onCloseOnce: (() => void) | null = null;

  // --- life cycle ---

  touch(): void {
    const ms = this.state === "not-authenticated" ? this.ctx.config.imapLoginTimeoutMs : AUTH_TIMEOUT_MS;
    // On every read from the client: the same timer restarted, not a new one each time.
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => {
      void this.untagged("BYE autologout: idle for too long").then(() => this.end());
    }, ms);
    this.timer.unref();
  }

  signedIn(account: AuthenticatedAccount): void {
    this.account = account;
    this.state = "authenticated";
    // APPEND's literal is a message: up to MAX_MESSAGE_SIZE (and a little for the command).
    this.reader.limits = { ...DEFAULT_LIMITS, maxLiteral: this.ctx.config.maxMessageSize + 64 * 1024 };
    this.touch();
    this.unsubscribe = this.feed.subscribe(account.id, (c) => {
      const isSelected = !!this.selected && c.mailboxId === this.selected.id;
      if (isSelected) {
        this.changed = true;
        if (this.idling) void this.flushUpdates(true);
      }
      if (this.notifier?.onChange(c, isSelected)) this.wake();
    });
  }

  end(): void {
    if (this.closed) return;
    this.state = "logout";
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    this.onCloseOnce?.();
    this.lineWaiter = null;
    this.log.info("imap.disconnect", { cid: this.cid, ip: this.ip, user: this.account?.email });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** STARTTLS: input read before the handshake must be discarded (RFC 3501 6.2.1, CVE-2011-0411 style injection). */
  resetReader(): void {
    this.reader = new CommandReader({ ...DEFAULT_LIMITS, maxLiteral: PRE_AUTH_MAX_LITERAL });
    this.queue = [];
  }

  // --- the selected mailbox ---

  /** Message numbers or UIDs of the selected mailbox named by a sequence set, as UIDs in ascending order. */
  resolveSet(text: string, byUid: boolean): number[] {
    const sel = this.selected!;
    const uids = sel.uids;
    if (byUid) {
      // By binary search per range: a one-message UID FETCH must not walk a 100,000-message view.
      const out: number[] = [];
      for (const [a, b] of mergeRanges(parseSequenceSet(text, uids.length ? uids[uids.length - 1] : 0))) {
        for (let i = lowerBound(uids, a); i < uids.length && uids[i] <= b; i++) out.push(uids[i]);
      }
      return out;
    }
    if (uids.length === 0) throw bad("the mailbox is empty: no message numbers are valid");
    const ranges = parseSequenceSet(text, uids.length);
    for (const [, b] of ranges) if (b > uids.length) throw bad(`no message ${b}: the mailbox has ${uids.length}`);
    const out: number[] = [];
    for (const [a, b] of mergeRanges(ranges)) for (let n = a; n <= b; n++) out.push(uids[n - 1]);
    return out;
  }

  seqOf(uid: number): number {
    const uids = this.selected!.uids;
    const i = lowerBound(uids, uid);
    return uids[i] === uid ? i + 1 : 0;
  }

  /**
   * CONDSTORE turned on by a command that uses it (RFC 7162 3.1): with a folder selected,
   * the client is told its HIGHESTMODSEQ at once.
   */
  async enableCondstore(): Promise<void> {
    if (this.enabled.has("CONDSTORE")) return;
    this.enabled.add("CONDSTORE");
    if (!this.selected) return;
    const mb = await this.ctx.db.mailbox.findUnique({ where: { id: this.selected.id }, select: { highestModSeq: true } });
    if (mb) await this.untagged(`OK [HIGHESTMODSEQ ${mb.highestModSeq}] CONDSTORE enabled`);
  }

  /**
   * A change this session made and already shows (STORE, FETCH setting \Seen): when it is
   * the only change since the view's MODSEQ, the view moves past it instead of reading it
   * back from the journal (after a STORE 1:*, every message of the mailbox).
   */
  ownChange(modSeq: string | null): void {
    const sel = this.selected;
    // With SEARCH RETURN (UPDATE) contexts the change is read back as any other, so their
    // results are run again (RFC 5267 4.3: the client's own STORE counts too).
    if (sel && !sel.contexts?.length && modSeq !== null && BigInt(modSeq) === sel.modSeq + 1n) sel.modSeq = BigInt(modSeq);
  }

  /**
   * The selected mailbox's HIGHESTMODSEQ as the running command read it with its own rows
   * (a FETCH that changed nothing): when the view is already there, the check after the
   * command is not made again. A change committed after that read is told at the next
   * command, as one committed just after the check would be (RFC 3501 5.2 asks for no
   * more; RFC 7162 3.2.10 neither).
   */
  sawModSeq(modSeq: bigint | null): void {
    this.readModSeq = modSeq !== null && this.selected ? { sel: this.selected, modSeq } : null;
  }

  /**
   * Whether the running command read the selected mailbox's HIGHESTMODSEQ where the view
   * is, with nothing pending to tell, no change reported by the feed since, and no update
   * under way (its responses must come first): then there is nothing to check after it.
   */
  private unmovedSinceRead(): boolean {
    const read = this.readModSeq;
    this.readModSeq = null;
    const sel = this.selected;
    return !!read && read.sel === sel && read.modSeq <= sel.modSeq && !this.changed && this.serialRunning === 0 && !sel.pendingExpunge.size && !sel.pendingFlags.size;
  }

  /** Before a FETCH shows keywords the client has not been told of: FLAGS and PERMANENTFLAGS again (RFC 3501 7.2.6). */
  async announceKeywords(keywords: Iterable<string>): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    const known = new Set(sel.keywords.split(" "));
    let missing = false;
    for (const k of keywords) if (k && !known.has(k)) missing = true;
    if (!missing) return;
    const mb = await this.ctx.db.mailbox.findUnique({ where: { id: sel.id }, select: { keywords: true } });
    if (!mb || this.selected !== sel || mb.keywords === sel.keywords) return;
    sel.keywords = mb.keywords;
    const kw = mb.keywords ? " " + mb.keywords : "";
    await this.untagged(`FLAGS (${SYSTEM_FLAGS}${kw})`);
    if (!sel.readOnly) await this.untagged(`OK [PERMANENTFLAGS (${SYSTEM_FLAGS}${kw} \\*)] flags and keywords are kept`);
  }

  /**
   * The messages up to UID `upTo` not yet told to any session become \Recent for this one
   * when it has the folder read-write (RFC 3501 2.3.2); read-only, it sees as recent those
   * nobody has taken, without taking them.
   */
  async takeRecent(upTo: number): Promise<void> {
    const sel = this.selected!;
    const mb = await this.ctx.db.mailbox.findUnique({ where: { id: sel.id }, select: { recentUid: true } });
    let from = mb?.recentUid ?? upTo;
    // Most often another session took them already: a read, and no write transaction, says so.
    if (!sel.readOnly && from < upTo) from = (await this.ctx.store.claimRecent({ accountId: this.account!.id, mailboxId: sel.id, upTo })).from;
    for (let i = sel.uids.length - 1; i >= 0 && sel.uids[i] > from; i--) if (sel.uids[i] <= upTo) sel.recent.add(sel.uids[i]);
  }

  /** A message's flag list as this session shows it: with \Recent when it is recent here. */
  flagsOut(uid: number, flags: string): string {
    if (!this.selected?.recent.has(uid)) return flags;
    return flags === "()" ? "(\\Recent)" : "(\\Recent " + flags.slice(1);
  }

  /**
   * Removes expunged UIDs from the view and tells the client: one EXPUNGE each, highest
   * first so each number is still the one the client knows (RFC 3501 7.4.1), or with
   * QRESYNC enabled one VANISHED for all (RFC 7162 3.2.10).
   */
  async expunged(uids: Iterable<number>): Promise<void> {
    const sel = this.selected!;
    const told: number[] = [];
    const sorted = [...uids].sort((a, b) => b - a);
    // RFC 5267 4.3.4: REMOVEFROM before the EXPUNGE, while the numbers are still valid.
    if (sel.contexts?.length) await contextsExpunging(this, sel, sorted.filter((u) => this.seqOf(u) > 0));
    for (const uid of sorted) {
      const n = this.seqOf(uid);
      if (!n) continue;
      sel.uids.splice(n - 1, 1);
      sel.flags.delete(uid);
      sel.recent.delete(uid);
      sel.pendingExpunge.delete(uid);
      sel.pendingFlags.delete(uid);
      if (this.enabled.has("QRESYNC")) told.push(uid);
      else await this.untagged(`${n} EXPUNGE`);
    }
    if (told.length) await this.untagged(`VANISHED ${toSequenceSet(told)}`);
  }

  /**
   * Reads what changed in the selected mailbox since the view's MODSEQ and tells the
   * client: new messages (EXISTS), flag changes (FETCH), and expunges when allowed.
   */
  flushUpdates(mayExpunge: boolean): Promise<void> {
    return this.serialised(() => this.doFlush(mayExpunge));
  }

  /** Runs `fn` after every update already under way: unsolicited responses never interleave. */
  private serialised(fn: () => Promise<void>): Promise<void> {
    this.serialRunning++;
    const run = this.flushing.then(fn).finally(() => this.serialRunning--);
    this.flushing = run.catch((err) => this.log.warn("imap.update_failed", { cid: this.cid, err }));
    return this.flushing;
  }

  private async doFlush(mayExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel || this.closed || !this.account) return;
    this.readModSeq = null;
    this.changed = false;
    if (!sel.pendingExpunge.size && !sel.pendingFlags.size) {
      // Every change raises the mailbox's HIGHESTMODSEQ: when it has not moved there is
      // nothing to read, and this runs after nearly every command (one indexed row, not
      // two Prisma queries of the journal and the messages).
      const current = await mailboxModSeq(this.ctx.store, sel.id);
      if (current !== null && current <= sel.modSeq) return;
    }
    const before = sel.modSeq;
    const lastUid = sel.uids.length ? sel.uids[sel.uids.length - 1] : 0;
    await announceChanges(this, sel, this.account, mayExpunge);
    if (this.selected !== sel) return;
    // RFC 5267 4.3.3: ADDTO after the EXISTS; RFC 5465 5.2: NOTIFY's FETCH of new messages after both.
    if (sel.contexts?.length && sel.modSeq !== before) await refreshContexts(this, sel);
    if (this.notifier?.selected?.fetch && sel.uids.length && sel.uids[sel.uids.length - 1] > lastUid) await fetchNew(this, sel.uids.filter((u) => u > lastUid));
    if (this.changed && this.idling) return this.doFlush(mayExpunge);
  }
}

/** The queue entry that makes the session tell NOTIFY events between commands (known by identity: no client line is it). */
const NOTIFY_WAKE: RawCommand = { text: ["notify"], literals: [] };

export const SYSTEM_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

export const FLAG_SELECT = { uid: true, seen: true, answered: true, flagged: true, deleted: true, draft: true, keywords: true, modSeq: true } as const;

export function plainIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}
