/**
 * Multi-line responses (RFC 1939 3): every line that begins with "." is sent with one
 * more "." in front, and the response ends with CRLF "." CRLF. Works on chunks, so a
 * message is streamed a piece at a time and never held whole.
 */
const LF = 0x0a;
const DOT = 0x2e;
const CR = 0x0d;
const DOT_BUF = Buffer.from(".");
const CR_BUF = Buffer.from("\r");

export class DotStuffer {
  private atLineStart = true;
  private afterCr = false;
  private sawAny = false;

  /**
   * The chunk with a "." added before each line that begins with one, and a CR before any
   * bare LF (RFC 1939 3: lines end in CRLF; SMTP refuses bare LFs, but an IMAP APPEND
   * might bring one).
   */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const parts: Buffer[] = [];
    let from = 0;
    if (this.atLineStart && chunk[0] === DOT) parts.push(DOT_BUF);
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (!(i > 0 ? chunk[i - 1] === CR : this.afterCr)) {
        parts.push(chunk.subarray(from, i), CR_BUF);
        from = i;
      }
      if (i + 1 < chunk.length && chunk[i + 1] === DOT) {
        parts.push(chunk.subarray(from, i + 1), DOT_BUF);
        from = i + 1;
      }
    }
    parts.push(chunk.subarray(from));
    this.atLineStart = chunk[chunk.length - 1] === LF;
    this.afterCr = chunk[chunk.length - 1] === CR;
    this.sawAny = true;
    return parts.length === 1 ? chunk : Buffer.concat(parts);
  }

  /** The terminator; a last line without its line ending gets one first, so "." stands on its own line. */
  end(): Buffer {
    return Buffer.from(this.sawAny && !this.atLineStart ? "\r\n.\r\n" : ".\r\n");
  }
}

/**
 * TOP msg n (RFC 1939 7): the header, the blank line that ends it, and the first n
 * lines of the body. push() passes through what belongs to that and says when the rest
 * of the message is no longer needed.
 */
export class TopFilter {
  private inHeader = true;
  private lineEmpty = true; // the current line so far holds nothing but an optional CR
  private bodyLines = 0;
  private done = false;

  constructor(private readonly lines: number) {}

  get finished(): boolean {
    return this.done;
  }

  push(chunk: Buffer): Buffer {
    if (this.done) return chunk.subarray(0, 0);
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inHeader) {
        if (b === LF) {
          if (this.lineEmpty) {
            this.inHeader = false;
            if (this.lines === 0) {
              this.done = true;
              return chunk.subarray(0, i + 1);
            }
          }
          this.lineEmpty = true;
        } else if (b !== 0x0d) {
          this.lineEmpty = false;
        }
      } else if (b === LF) {
        this.bodyLines++;
        if (this.bodyLines >= this.lines) {
          this.done = true;
          return chunk.subarray(0, i + 1);
        }
      }
    }
    return chunk;
  }
}
