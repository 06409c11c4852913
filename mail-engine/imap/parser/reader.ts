/**
 * Cuts the client's byte stream into whole commands (RFC 3501 2.2.1): a command is a
 * line, except that a line ending in a literal announcement `{n}` (or `{n+}`, RFC 7888
 * LITERAL+; LITERAL- limits those to 4096 octets) is followed by n octets and the rest
 * of the command. A synchronising literal is sent "+" (go ahead) before the client
 * sends it. Limits bound what one client can make us hold: line length, literal size,
 * the number of literals per command.
 */

export interface ReaderLimits {
  maxLine: number;
  maxLiteral: number;
  maxLiterals: number;
  /** LITERAL- (RFC 7888 4) would refuse non-synchronising literals above 4096; we offer LITERAL+ (any size up to maxLiteral). */
  maxNonSyncLiteral: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxLine: 64 * 1024, maxLiteral: 64 * 1024 * 1024, maxLiterals: 1000, maxNonSyncLiteral: Infinity };

/** A command's text pieces with the literals between them. */
export interface RawCommand {
  /** Text pieces (latin1 so every byte survives); a literal sits between piece i and i+1. */
  text: string[];
  literals: Buffer[];
}

export type ReaderEvent =
  | { kind: "command"; command: RawCommand }
  /** The command is refused before it ended (a limit); everything up to its end is skipped. */
  | { kind: "error"; tag: string; message: string }
  /** A synchronising literal may be sent: answer "+ ...". */
  | { kind: "continue"; size: number }
  /** More input is needed. */
  | { kind: "more" };

const LITERAL_AT_END = /\{(\d{1,20})(\+|-)?\}$/;

export class CommandReader {
  private buf: Buffer = Buffer.alloc(0);
  private cur: RawCommand = { text: [], literals: [] };
  /** Bytes of literal still to read, or -1 when reading a line. */
  private need = -1;
  /** Skipping a refused literal: its bytes are dropped, not kept. */
  private discarding = false;
  private literalParts: Buffer[] = [];
  private literalGot = 0;
  private lineLength = 0;
  /** After a refused line, the rest of the line is dropped. */
  private skipLine = false;

  constructor(public limits: ReaderLimits = DEFAULT_LIMITS) {}

  push(data: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
  }

  /** Bytes received but not yet consumed (to bound memory while a command runs). */
  get buffered(): number {
    return this.buf.length;
  }

  /** Bytes received and not yet read as a command, handed over (COMPRESS: they are compressed data). */
  takeBuffered(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  /** Drops the command in progress (after an error reported by next()). */
  private reset(): void {
    this.cur = { text: [], literals: [] };
    this.lineLength = 0;
  }

  next(): ReaderEvent {
    for (;;) {
      if (this.need >= 0) {
        if (this.buf.length === 0 && this.need > 0) return { kind: "more" };
        const take = Math.min(this.need, this.buf.length);
        if (!this.discarding) this.literalParts.push(this.buf.subarray(0, take));
        this.literalGot += take;
        this.buf = this.buf.subarray(take);
        this.need -= take;
        if (this.need > 0) return { kind: "more" };
        this.need = -1;
        if (!this.discarding) this.cur.literals.push(Buffer.concat(this.literalParts));
        this.literalParts = [];
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.lineLength + this.buf.length > this.limits.maxLine && !this.skipLine) {
          // The line is too long already: drop it up to its end, then refuse it.
          const tag = tagOf(this.cur.text[0] ?? this.buf.toString("latin1"));
          this.skipLine = true;
          this.buf = Buffer.alloc(0);
          this.discarding = false;
          this.reset();
          return { kind: "error", tag, message: `line longer than ${this.limits.maxLine} octets` };
        }
        if (this.skipLine) this.buf = Buffer.alloc(0);
        return { kind: "more" };
      }
      let line = this.buf.subarray(0, nl).toString("latin1");
      this.buf = this.buf.subarray(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (this.skipLine) {
        this.skipLine = false;
        continue;
      }
      if (this.discarding) {
        // The rest of a refused command: skip its remaining lines and literals.
        const m = LITERAL_AT_END.exec(line);
        if (m) {
          this.need = Number(m[1]);
          if (!m[2]) return { kind: "continue", size: this.need };
          continue;
        }
        this.discarding = false;
        continue;
      }
      this.lineLength += line.length;
      if (this.lineLength > this.limits.maxLine) {
        const tag = tagOf(this.cur.text[0] ?? line);
        this.reset();
        return { kind: "error", tag, message: `command longer than ${this.limits.maxLine} octets` };
      }
      const m = LITERAL_AT_END.exec(line);
      if (!m) {
        this.cur.text.push(line);
        const done = this.cur;
        this.reset();
        return { kind: "command", command: done };
      }
      const size = Number(m[1]);
      const nonSync = m[2] === "+";
      this.cur.text.push(line.slice(0, m.index));
      const tag = tagOf(this.cur.text[0]);
      let refuse: string | null = null;
      if (m[2] === "-") refuse = "a literal is {n} or {n+}";
      else if (!Number.isSafeInteger(size) || size > this.limits.maxLiteral) refuse = `literal larger than ${this.limits.maxLiteral} octets`;
      // The literals of one command together (MULTIAPPEND) are held in memory: the same bound applies to their sum.
      else if (this.cur.literals.reduce((n, l) => n + l.length, 0) + size > this.limits.maxLiteral) refuse = `the literals of one command exceed ${this.limits.maxLiteral} octets`;
      else if (nonSync && size > this.limits.maxNonSyncLiteral) refuse = `non-synchronising literals are limited to ${this.limits.maxNonSyncLiteral} octets (RFC 7888 LITERAL-)`;
      else if (this.cur.literals.length >= this.limits.maxLiterals) refuse = `more than ${this.limits.maxLiterals} literals in one command`;
      if (refuse) {
        this.reset();
        if (nonSync && Number.isSafeInteger(size)) {
          // RFC 7888 4: the client sends it anyway; skip its bytes (never kept) and the rest of the command.
          this.discarding = true;
          this.need = size;
        }
        return { kind: "error", tag, message: refuse };
      }
      this.need = size;
      this.literalGot = 0;
      if (!nonSync) return { kind: "continue", size };
    }
  }
}

/** The tag at the start of a line, or "*" when there is none to answer. */
export function tagOf(line: string): string {
  const m = /^([^\s(){%*"\\\]+\x00-\x1f\x7f]+)(?: |$)/.exec(line);
  return m ? m[1] : "*";
}
