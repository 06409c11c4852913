/**
 * The one MIME parser of delivery: fed the raw message in chunks as it arrives, it records
 * the MIME structure with byte offsets (structure.ts: what IMAP BODYSTRUCTURE, ENVELOPE,
 * BODY[section], BINARY and the web's attachment list read instead of parsing again) and
 * the list summary (summary.ts), keeping only bounded state: header blocks up to a cap, the
 * text parts up to a cap (the snippet needs a few hundred characters of them), and one
 * record per part up to a cap on the part count. It never holds the whole message.
 *
 * Two readings of the same headers: the structure follows the RFCs (RFC 2045/2046 defaults,
 * delimiters of every open multipart recognised, RFC 2046 5.1.1), the summary mirrors what
 * mailparser 3.14.2 with @zone-eu/mailsplit 5.4.30 reports (the header decoding, text
 * decoding and snippet code in summary-fast/ mirror their internals, so these, libmime
 * 5.6.4, libqp 3.0.1, libbase64 1.4.1 and html-to-text 10.0.1 are pinned in package.json,
 * and MIRRORED_VERSIONS is checked by the tests), so that a summary equals mailparser's
 * wherever mailparser gets it right. Where
 * mailparser is wrong the summary is not: an unparsable Date gives no sent date, not the
 * time of parsing. Known differences are listed in test/unit/message-parser.test.ts.
 *
 * Pathological input gets a reduced result in bounded time and memory (`reduced` says
 * why): header blocks past their cap are cut, multiparts nested deeper than maxDepth are
 * kept as one opaque part, parts past maxParts are not recorded. A failure inside the
 * parser gives a minimal summary from the top header, never an exception: a message that
 * cannot be parsed must still be stored (never a 451 loop).
 */
import { type HeaderLine, otherAuthors, TEXT_TYPES, type TextLeaf, type WalkState } from "./summary-fast/common";
import { embeddedMeta, envelope as summaryEnvelope, mimeInfo, splitHeaderLines } from "./summary-fast/headers";
import { snippetOf } from "./summary-fast/text";
import type { AddressEntry, MessageSummary } from "./summary";
import { emptyEnvelope, ENVELOPE_FIELDS, type Envelope, type MimePart } from "./structure";
import { rawValue } from "./header-fields";
import { readPartFields } from "./part-header";
import { compareBoundary } from "./boundary";
import { PARSER_LIMITS } from "./parser-limits";

export type { Envelope, MimePart } from "./structure";
export { MIRRORED_VERSIONS, PARSER_LIMITS } from "./parser-limits";

export interface ParsedMessage {
  summary: MessageSummary;
  structure: MimePart;
  envelope: Envelope;
  /** Set, with the reasons, when limits or a failure forced a reduced result. */
  reduced?: string;
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
/** Bytes of a body line kept for the delimiter check: a boundary plus mailsplit's 1004 bytes of slack. */
const LINE_KEEP = 4096;

interface SumInfo {
  /** mailparser does not see this node (inside a part it takes as a file, or past a limit). */
  hidden: boolean;
  related: boolean;
  alternative: boolean;
}

interface Sink {
  chunks: Buffer[];
  length: number;
  cap: number;
  /** Bytes of the body that did not fit. */
  cut: boolean;
  leaf: TextLeaf;
}

interface Node {
  part: MimePart;
  parent: Node | null;
  /** The top part of a message (the root or an embedded one): its header holds the envelope. */
  isMessage: boolean;
  isRoot: boolean;
  state: "head" | "body" | "skip";
  head: Buffer[];
  headLen: number;
  headCap: number;
  headCut: boolean;
  /** Lines started before the body. */
  bodyLine: number;
  closed: boolean;
  /** For an open multipart: its delimiter, "--" + boundary. */
  delimiter: Buffer | null;
  depth: number;
  digest: boolean;
  sum: SumInfo;
  sink: Sink | null;
  /** The embedded message of a message/rfc822 part. */
  child: Node | null;
  /** For a base64 part: base64 characters seen in its body (the decoded size is 3/4 of them). */
  b64: number;
}

export class MessageParser {
  private pos = 0;
  private pend: Buffer[] = [];
  private pendLen = 0;
  private lineLen = 0;
  private lineStart = 0;
  private prevByte = -1;
  private prevEol = 0;
  private prevEmpty = false;
  private linesStarted = 0;
  private keep = LINE_KEEP;

  private root: Node;
  private cur: Node;
  /** Open multiparts with a boundary, outermost first. */
  private multis: Node[] = [];
  private parts = 1;
  private textBudget = PARSER_LIMITS.textTotalBytes;
  private leaves: TextLeaf[] = [];
  private sinks: Sink[] = [];
  private hasText = false;
  private hasAttachments = false;
  /** Parts past a limit were not looked at: one of them may have been an attachment. */
  private hasAttachmentsUnknown = false;
  private rootLines: HeaderLine[] = [];
  private rootEnvelope: Envelope = emptyEnvelope();
  private reasons = new Set<string>();
  private failed: Error | null = null;
  private result: ParsedMessage | null = null;

  constructor() {
    this.root = this.newNode(null, 0, true);
    this.root.headCap = PARSER_LIMITS.rootHeaderBytes;
    this.cur = this.root;
    this.keep = this.keepLimit();
  }

  private newNode(parent: Node | null, start: number, isMessage: boolean): Node {
    return {
      part: { headerStart: start, bodyStart: start, bodyEnd: start, type: "text", subtype: "plain", params: {}, encoding: "7bit", size: 0, lines: 0 },
      parent,
      isMessage,
      isRoot: parent === null,
      state: "head",
      head: [],
      headLen: 0,
      headCap: PARSER_LIMITS.partHeaderBytes,
      headCut: false,
      bodyLine: 0,
      closed: false,
      delimiter: null,
      depth: parent ? parent.depth + 1 : 0,
      digest: false,
      sum: { hidden: parent?.sum.hidden ?? false, related: parent?.sum.related ?? false, alternative: parent?.sum.alternative ?? false },
      sink: null,
      child: null,
      b64: -1,
    };
  }

  write(chunk: Buffer): void {
    if (this.failed || this.result) return;
    try {
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        const lf = chunk.indexOf(LF, i);
        const end = lf < 0 ? n : lf + 1;
        if (lf >= 0 && this.lineLen === 0 && end - i <= this.keep) {
          // the whole line is in this chunk: no copy
          const eol = lf > i && chunk[lf - 1] === CR ? 2 : 1;
          this.lineLen = end - i;
          this.line(chunk, i, end, eol, false);
        } else {
          this.append(chunk.subarray(i, end));
          if (lf >= 0) {
            const eol = (lf > i ? chunk[lf - 1] : this.prevByte) === CR && this.lineLen > 1 ? 2 : 1;
            this.flushLine(eol);
          } else {
            this.prevByte = chunk[n - 1];
          }
        }
        i = end;
      }
      this.flushRun();
      this.flushHeadRun();
      this.pos += n;
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
    }
  }

  private append(seg: Buffer): void {
    this.lineLen += seg.length;
    const room = this.keep - this.pendLen;
    if (room > 0) {
      const take = seg.length <= room ? seg : seg.subarray(0, room);
      this.pend.push(Buffer.from(take));
      this.pendLen += take.length;
    }
  }

  private flushLine(eol: number): void {
    const truncated = this.lineLen > this.pendLen;
    const line = this.pend.length === 1 ? this.pend[0] : Buffer.concat(this.pend, this.pendLen);
    this.pend = [];
    this.pendLen = 0;
    this.line(line, 0, line.length, eol, truncated);
  }

  /**
   * One line, `line` its first bytes (all of them unless `truncated`), `eol` the length of
   * its line break (0 for a last line without one).
   */
  private line(buf: Buffer, from: number, to: number, eol: number, truncated: boolean): void {
    const start = this.lineStart;
    const end = start + this.lineLen;
    const fullLen = this.lineLen;
    const empty = fullLen === eol && eol > 0;
    this.lineLen = 0;
    this.lineStart = end;

    if (!truncated && this.multis.length && to - from >= 3) {
      const sp = buf[from] === CR ? 1 : 0;
      if (buf[from + sp] === DASH && buf[from + sp + 1] === DASH) {
        // RFC 2046 5.1.1: a delimiter of any open multipart ends every part inside it; the
        // innermost multipart is checked first, as mailsplit does
        for (let k = this.multis.length - 1; k >= 0; k--) {
          const kind = compareBoundary(buf, from, to, sp, this.multis[k].delimiter!);
          if (kind) {
            this.flushRun();
            this.delimiter(k, kind, start, end);
            this.after(eol, empty);
            return;
          }
        }
      }
    }

    const node = this.cur;
    const len = to - from;
    if (node.state === "head") {
      if (!node.headCut) {
        if (node.headLen + len <= node.headCap && !truncated) {
          // contiguous lines of one chunk are copied once, when the header or the chunk is done
          const run = this.headRun;
          if (run && run.node === node && run.buf === buf && run.to === from) run.to = to;
          else {
            this.flushHeadRun();
            this.headRun = { node, buf, from, to };
          }
          node.headLen += len;
        } else if (!empty) {
          node.headCut = true;
          this.reasons.add(`a header block over ${node.headCap} bytes was cut`);
        }
      }
      if (empty || eol === 0) {
        this.linesStarted++;
        this.flushRun();
        this.endHeader(node, end);
        this.after(eol, empty);
        return;
      }
    } else {
      if (node.b64 >= 0) {
        // characters of the line less its line break and padding (no spaces in base64 lines)
        let n = fullLen - eol;
        if (!truncated) while (n > 0 && (buf[from + n - 1] === 0x3d || buf[from + n - 1] === 0x20 || buf[from + n - 1] === 0x09 || buf[from + n - 1] === CR)) n--;
        node.b64 += n;
      }
      const s = node.sink;
      if (s && !s.cut) {
        const take = Math.min(len, s.cap - s.length, this.textBudget);
        if (take > 0) {
          this.textBudget -= take;
          // contiguous lines of one chunk are copied once, when the chunk is done
          const run = this.run;
          if (run && run.sink === s && run.buf === buf && run.to === from) run.to = from + take;
          else {
            this.flushRun();
            this.run = { sink: s, buf, from, to: from + take };
          }
          s.length += take;
        }
        if (take < len || truncated) s.cut = true;
      }
    }
    this.linesStarted++;
    this.after(eol, empty);
  }

  /** Header bytes not yet copied out of the chunk being parsed. */
  private headRun: { node: Node; buf: Buffer; from: number; to: number } | null = null;

  private flushHeadRun(): void {
    const run = this.headRun;
    if (!run) return;
    this.headRun = null;
    run.node.head.push(Buffer.from(run.buf.subarray(run.from, run.to)));
  }

  /** Text-part bytes not yet copied out of the chunk being parsed. */
  private run: { sink: Sink; buf: Buffer; from: number; to: number } | null = null;

  private flushRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.sink.chunks.push(Buffer.from(run.buf.subarray(run.from, run.to)));
  }

  private after(eol: number, empty: boolean): void {
    this.prevEol = eol;
    this.prevEmpty = empty;
    this.prevByte = -1;
    this.keep = this.keepLimit();
  }

  private keepLimit(): number {
    const node = this.cur;
    if (node.state === "head") return Math.max(LINE_KEEP, node.headCap - node.headLen + 2);
    if (node.sink && !node.sink.cut) return Math.max(LINE_KEEP, Math.min(node.sink.cap - node.sink.length, this.textBudget));
    return LINE_KEEP;
  }

  /** A delimiter line of this.multis[k] from `start` to `end`: 1 the next part, 2 the closing delimiter. */
  private delimiter(k: number, kind: 1 | 2, start: number, end: number): void {
    const multi = this.multis[k];
    // the line break in front of a delimiter belongs to the delimiter (RFC 2046 5.1.1)
    const bodyEnd = start - this.prevEol;
    for (let node: Node | null = this.cur; node && node !== multi; node = node.parent) this.close(node, bodyEnd, start, kind === 1);
    this.multis.length = kind === 2 ? k : k + 1;
    this.linesStarted++;
    if (kind === 2) {
      // the epilogue: part of the multipart's body, not looked into
      this.cur = multi;
      return;
    }
    const parts = multi.part.parts!;
    if (this.parts >= PARSER_LIMITS.maxParts) {
      this.reasons.add(`more than ${PARSER_LIMITS.maxParts} parts: later parts are not listed`);
      const skip = this.newNode(multi, end, false);
      skip.state = "skip";
      skip.sum.hidden = true;
      this.hasAttachmentsUnknown = true;
      this.cur = skip;
      return;
    }
    this.parts++;
    const child = this.newNode(multi, end, false);
    if (multi.digest) {
      child.part.type = "message";
      child.part.subtype = "rfc822";
    }
    parts.push(child.part);
    this.cur = child;
  }

  /** Ends a node at `bodyEnd` (at a delimiter line starting at `lineStart`, or at the end of the message). */
  private close(node: Node, bodyEnd: number, lineStart: number, nextPart: boolean): void {
    if (node.closed) return;
    if (node.state === "head") {
      // a header that runs into a delimiter or the end: no body
      const at = Math.max(node.part.headerStart, bodyEnd);
      this.endHeader(node, at);
      node.bodyLine = this.linesStarted;
    }
    node.closed = true;
    const p = node.part;
    // a header whose blank line is the line break in front of the delimiter: that line break
    // belongs to the delimiter, so the header ends before it and the body is empty
    if (p.bodyStart > bodyEnd) {
      // (an embedded message that would start after that line break starts at it, empty)
      if (p.headerStart > bodyEnd) p.headerStart = bodyEnd;
      p.bodyStart = Math.max(p.headerStart, bodyEnd);
    }
    p.bodyEnd = Math.max(p.bodyStart, bodyEnd);
    p.size = p.bodyEnd - p.bodyStart;
    let lines = this.linesStarted - node.bodyLine;
    if (bodyEnd < lineStart && this.prevEmpty && lines > 0) lines--;
    p.lines = p.size === 0 ? 0 : lines;
    if (node.b64 >= 0) p.decodedSize = Math.floor((node.b64 * 3) / 4);
    const s = node.sink;
    if (s && !s.cut && bodyEnd < lineStart) {
      // mailsplit drops the line break in front of the delimiter from the text, except
      // from a body that is nothing but that line break when another part follows
      const eol = lineStart - bodyEnd;
      if (s.length > eol || (s.length === eol && !nextPart)) {
        s.length -= eol;
      }
    }
    if (node.child && !node.child.closed) this.close(node.child, bodyEnd, lineStart, nextPart);
  }

  private endHeader(node: Node, bodyStart: number): void {
    this.flushHeadRun();
    node.state = "body";
    node.part.bodyStart = bodyStart;
    node.bodyLine = this.linesStarted;
    const block = node.head.length === 1 ? node.head[0] : Buffer.concat(node.head, node.headLen);
    node.head = [];
    const lines = splitHeaderLines(block.toString("latin1"));
    if (node.isRoot) this.rootLines = lines;
    this.setUp(node, lines);
  }

  /** What a node is, from its header: the structure's reading and the summary's. */
  private setUp(node: Node, lines: HeaderLine[]): void {
    const p = node.part;
    const first = new Map<string, string>();
    const env = node.isMessage ? emptyEnvelope() : null;
    for (const l of lines) {
      if (!l.key) continue;
      if (env) {
        const ek = ENVELOPE_FIELDS[l.key];
        if (ek && env[ek] === null) env[ek] = rawValue(l.line);
      }
      if (!first.has(l.key)) first.set(l.key, l.line);
    }
    if (env) {
      if (node.isRoot) this.rootEnvelope = env;
      else if (node.parent) node.parent.part.message = { envelope: env, part: p };
      if (!node.isRoot && !node.sum.hidden) {
        this.leaves.push({ type: "meta", charset: false, encoding: "", flowed: false, delSp: false, start: 0, end: 0, root: false, alternative: node.sum.alternative, literal: embeddedMeta(lines) });
      }
    }

    // ----- structure (RFC 2045, 2046, 2183) -----
    readPartFields(p, first, !!node.parent?.digest);
    const info = mimeInfo(lines);

    // ----- the summary's view (mailsplit's node) -----
    const sum = node.sum;
    if (p.type === "multipart") {
      if (!info.multipart || !info.boundary || Buffer.byteLength(info.boundary) > PARSER_LIMITS.boundaryBytes) {
        // RFC 2046 5.1.1 requires the boundary; without one the body is one opaque text
        p.type = "text";
        p.subtype = "plain";
        p.params = { charset: "us-ascii" };
        sum.hidden = true; // mailsplit reads such a body as nobody's content
        return;
      }
      if (node.depth >= PARSER_LIMITS.maxDepth) {
        this.reasons.add(`multiparts nested deeper than ${PARSER_LIMITS.maxDepth}: kept as one part`);
        p.parts = [];
        sum.hidden = true;
        this.hasAttachmentsUnknown = true;
        return;
      }
      p.parts = [];
      node.digest = p.subtype === "digest";
      node.delimiter = Buffer.from("--" + info.boundary, "latin1");
      this.multis.push(node);
      if (info.contentType === "multipart/related") sum.related = true;
      if (info.contentType === "multipart/alternative") sum.alternative = true;
      return;
    }
    // mailsplit reads a message/rfc822 part as a message only when it is marked inline
    const splitEmbeds =
      info.contentType === "message/rfc822" && (!info.encoding || ["7bit", "8bit", "binary"].includes(info.encoding)) && info.disposition === "inline";
    if (p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global") && ["7bit", "8bit", "binary"].includes(p.encoding) && node.depth < PARSER_LIMITS.maxDepth) {
      // RFC 3501 7.4.2: the structure of an embedded message is part of BODYSTRUCTURE
      const child = this.newNode(node, p.bodyStart, true);
      p.message = { envelope: emptyEnvelope(), part: child.part };
      node.child = child;
      if (!splitEmbeds) {
        this.summaryLeaf(node, info);
        child.sum.hidden = true;
      }
      this.cur = child;
      return;
    }
    if (p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global") && node.depth >= PARSER_LIMITS.maxDepth) {
      this.reasons.add(`messages nested deeper than ${PARSER_LIMITS.maxDepth}: kept as one part`);
    }
    if (splitEmbeds) {
      // mailsplit looks into it, the structure does not (too deep): nothing of it for the summary
      sum.hidden = true;
      return;
    }
    if (p.encoding === "base64") node.b64 = 0;
    this.summaryLeaf(node, info);
  }

  /** A leaf as MailParser.createNode() sees it: an attachment, or a text part for the snippet. */
  private summaryLeaf(node: Node, info: ReturnType<typeof mimeInfo>): void {
    if (node.sum.hidden) return;
    let contentType = info.contentType;
    if (!contentType && node.isRoot) contentType = "text/plain";
    const isTextType = contentType !== false && TEXT_TYPES.has(contentType);
    let disposition = info.disposition;
    if (disposition && disposition !== "attachment" && disposition !== "inline") disposition = "attachment";
    disposition = !disposition && !isTextType ? "attachment" : disposition || "inline";
    if (!isTextType || disposition !== "inline") {
      // hasAttachments: attachments.some((a) => a.contentDisposition !== "inline" || !a.related)
      const related = info.hasContentId && node.sum.related;
      if (info.disposition !== "inline" || !related) this.hasAttachments = true;
      return;
    }
    if (contentType === "text/plain" || contentType === "message/delivery-status") this.hasText = true;
    const leaf: TextLeaf = {
      type: contentType as string,
      charset: info.charset,
      encoding: info.encoding,
      flowed: info.flowed,
      delSp: info.delSp,
      start: 0,
      end: 0,
      root: node.isRoot,
      alternative: node.sum.alternative,
    };
    const sink: Sink = { chunks: [], length: 0, cap: PARSER_LIMITS.textPartBytes, cut: this.textBudget === 0, leaf };
    node.sink = sink;
    this.leaves.push(leaf);
    this.sinks.push(sink);
  }

  end(): ParsedMessage {
    if (this.result) return this.result;
    try {
      if (!this.failed) {
        if (this.lineLen > 0) this.flushLine(0);
        this.flushRun();
        const total = this.pos;
        for (let node: Node | null = this.cur; node; node = node.parent) this.close(node, total, total, false);
      }
    } catch (err) {
      this.failed ??= err instanceof Error ? err : new Error(String(err));
    }
    if (this.failed) {
      this.result = this.minimal(`the parser failed: ${this.failed.message}`);
      return this.result;
    }
    let summary: MessageSummary;
    try {
      summary = this.summary();
    } catch (err) {
      this.result = this.minimal(`the summary failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.result;
    }
    if (this.hasAttachmentsUnknown && !summary.hasAttachments) this.reasons.add("hasAttachments may miss parts past the limits");
    this.result = { summary, structure: this.root.part, envelope: this.rootEnvelope };
    if (this.reasons.size) this.result.reduced = [...this.reasons].join("; ");
    return this.result;
  }

  private summary(): MessageSummary {
    // the kept text parts laid end to end, so that the snippet code reads them as it reads a message
    const bufs: Buffer[] = [];
    let at = 0;
    for (const s of this.sinks) {
      const b = Buffer.concat(s.chunks).subarray(0, s.length);
      s.leaf.start = at;
      s.leaf.end = at + b.length;
      at += b.length;
      bufs.push(b);
    }
    const state: WalkState = { raw: Buffer.concat(bufs, at), nodes: 0, hasText: this.hasText, hasAttachments: this.hasAttachments, leaves: this.leaves };
    const snippet = snippetOf(state, Date.now() + PARSER_LIMITS.snippetMs);
    if (state.timedOut) this.reasons.add(`the snippet took over ${PARSER_LIMITS.snippetMs} ms: later text parts left out`);
    return { ...this.headerSummary(), snippet, hasAttachments: this.hasAttachments };
  }

  private headerSummary(): Omit<MessageSummary, "snippet" | "hasAttachments"> {
    const env = summaryEnvelope(this.rootLines);
    const from: AddressEntry | undefined = env.from[0];
    return {
      fromAddress: from?.address ?? "",
      fromName: from?.name ?? "",
      fromOthers: otherAuthors(env.from),
      to: env.to,
      cc: env.cc,
      subject: env.subject ?? "",
      sentDate: env.date && !Number.isNaN(env.date.getTime()) ? env.date : null,
      messageId: env.messageId ?? "",
      inReplyTo: env.inReplyTo ?? "",
      references: env.references.flatMap((r) => r.split(/\s+/)).filter(Boolean),
    };
  }

  /** After a failure: the top header's fields if they can be read, an empty snippet, one opaque part. */
  private minimal(reason: string): ParsedMessage {
    let head: Omit<MessageSummary, "snippet" | "hasAttachments">;
    try {
      head = this.headerSummary();
    } catch {
      head = { fromAddress: "", fromName: "", to: [], cc: [], subject: "", sentDate: null, messageId: "", inReplyTo: "", references: [] };
    }
    const total = this.pos;
    const hs = Math.min(this.root.part.bodyStart || total, total);
    const structure: MimePart = {
      headerStart: 0,
      bodyStart: hs,
      bodyEnd: total,
      type: "application",
      subtype: "octet-stream",
      params: {},
      encoding: "7bit",
      size: total - hs,
      lines: 0,
    };
    return { summary: { ...head, snippet: "", hasAttachments: false }, structure, envelope: this.rootEnvelope, reduced: reason };
  }
}

/** The whole message at once: one write and end(). Never throws. */
export function parseMessage(raw: Buffer): ParsedMessage {
  const p = new MessageParser();
  p.write(raw);
  return p.end();
}
