/**
 * The parsed header summary stored with each message entry (what the inbox list,
 * threading and IMAP ENVELOPE need).
 *
 * The summary used to come from mailparser's simpleParser for every message, which builds
 * the whole MIME tree with streams, decodes and hashes every attachment and converts text
 * to HTML: most of its cost goes into things the summary never reads. summarise() now
 * takes a fast path for the common shapes (single-part text or HTML, multipart/alternative,
 * mixed with attachments, related with inline images, nested combinations): it finds the
 * part boundaries the way mailparser's splitter (@zone-eu/mailsplit) does, decodes headers
 * with the same libraries mailparser uses (libmime, mailparser's own address parser) and
 * decodes only the text the snippet needs. Whatever the fast path does not mirror exactly
 * (embedded message/rfc822 parts, malformed or unterminated multiparts, mbox "From " lines,
 * boundaries nested inside each other, ...) and any exception falls back to the mailparser
 * implementation, summariseWithMailparser(), whose output the fast path reproduces.
 */
import path from "node:path";
import { simpleParser, parseAddressHeader, type AddressObject } from "mailparser";
import libmime from "libmime";
import { decode as decodeCharset } from "libmime/lib/charset.js";
import libqp from "libqp";
import { compile as compileHtmlToText } from "html-to-text";

export interface AddressEntry {
  name: string;
  address: string;
}

export interface MessageSummary {
  fromAddress: string;
  fromName: string;
  to: AddressEntry[];
  cc: AddressEntry[];
  subject: string;
  sentDate: Date | null;
  messageId: string;
  inReplyTo: string;
  references: string[];
  snippet: string;
  hasAttachments: boolean;
}

type AddressItem = AddressObject["value"][number];

function walkAddresses(items: AddressItem[], out: AddressEntry[]): void {
  for (const a of items) {
    if (a.group) walkAddresses(a.group, out);
    else if (a.address || a.name) out.push({ name: a.name ?? "", address: (a.address ?? "").toLowerCase() });
  }
}

function flatten(obj: AddressObject | AddressObject[] | undefined): AddressEntry[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  const out: AddressEntry[] = [];
  for (const o of list) walkAddresses(o.value, out);
  return out;
}

const SNIPPET_LENGTH = 200;

export async function summarise(raw: Buffer): Promise<MessageSummary> {
  return fastSummary(raw) ?? summariseWithMailparser(raw);
}

/** The reference implementation: everything from mailparser's simpleParser. Also the fallback. */
export async function summariseWithMailparser(raw: Buffer): Promise<MessageSummary> {
  // textAsHtml is never used; html-to-text runs only for messages without a text part (the snippet).
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipHtmlToText: false, skipTextToHtml: true });
  const from = flatten(parsed.from)[0];
  const text = (parsed.text ?? "").replace(/\s+/g, " ").trim();
  const refs = parsed.references ? (Array.isArray(parsed.references) ? parsed.references : [parsed.references]) : [];
  // NB: mailparser turns a Date header it cannot parse into the time of parsing, so the
  // NaN check below never triggers for a present header (kept as it was).
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    fromAddress: from?.address ?? "",
    fromName: from?.name ?? "",
    to: flatten(parsed.to),
    cc: flatten(parsed.cc),
    subject: parsed.subject ?? "",
    sentDate: date,
    messageId: parsed.messageId ?? "",
    inReplyTo: parsed.inReplyTo ?? "",
    references: refs.flatMap((r) => r.split(/\s+/)).filter(Boolean),
    snippet: text.slice(0, SNIPPET_LENGTH),
    hasAttachments: parsed.attachments.some((a) => a.contentDisposition !== "inline" || !a.related),
  };
}

/**
 * The summary without mailparser, or null when the message has a shape the fast path does
 * not handle (summarise() then uses mailparser). Exported for the equivalence tests.
 */
export function fastSummary(raw: Buffer): MessageSummary | null {
  try {
    return summariseFast(raw);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Fast path
// ---------------------------------------------------------------------------------------

/** Thrown for anything the fast path does not mirror; fastSummary() turns it into null. */
const GIVE_UP = new Error("fast path: unsupported message shape");
function giveUp(): never {
  throw GIVE_UP;
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

const MAX_NODES = 200; // mailsplit fails above 1000 nodes; leave such messages to it
const MAX_DEPTH = 16;
const MAX_HEADER_BYTES = 256 * 1024; // mailsplit fails above 1 MiB of (weighted) header
/** How much of an encoded text/plain body is decoded first; more only if the snippet needs it. */
const TEXT_PREFIX_BYTES = 768;
/** How much of the HTML body is converted to text first; more only if the snippet needs it. */
const HTML_PREFIX_CHARS = 1024;
/** Characters at the end of text decoded from a cut-off body prefix that are not trusted. */
const PREFIX_MARGIN = 32;

/** The content types mailparser treats as text (it drops message/delivery-status into the text too). */
const TEXT_TYPES = new Set(["text/plain", "text/html", "message/delivery-status"]);

interface HeaderLine {
  key: string;
  /** The raw header line, unfolded with CRLF kept, as a binary (latin1) string. */
  line: string;
}

interface Ancestry {
  related: boolean;
  alternative: boolean;
  boundaries: string[];
  depth: number;
}

/** An inline text part mailparser would put into `text`, in document order. */
interface TextLeaf {
  type: string;
  charset: string | false;
  encoding: string;
  flowed: boolean;
  delSp: boolean;
  start: number;
  end: number;
  root: boolean;
  alternative: boolean;
}

interface WalkState {
  raw: Buffer;
  nodes: number;
  hasText: boolean;
  hasAttachments: boolean;
  leaves: TextLeaf[];
}

function summariseFast(raw: Buffer): MessageSummary {
  // Root header block: up to the first empty line, or the whole message when there is none.
  let bodyStart = headerBlockEnd(raw, 0, raw.length);
  const headerEnd = bodyStart < 0 ? raw.length : bodyStart;
  if (bodyStart < 0) bodyStart = raw.length;
  if (headerEnd > MAX_HEADER_BYTES) giveUp();
  const lines = splitHeaderLines(raw.toString("latin1", 0, headerEnd));

  const state: WalkState = { raw, nodes: 0, hasText: false, hasAttachments: false, leaves: [] };
  visitNode(state, lines, bodyStart, raw.length, raw.length, true, { related: false, alternative: false, boundaries: [], depth: 0 });

  const env = envelope(lines);
  const from = env.from[0];
  return {
    fromAddress: from?.address ?? "",
    fromName: from?.name ?? "",
    to: env.to,
    cc: env.cc,
    subject: env.subject ?? "",
    sentDate: env.date && !Number.isNaN(env.date.getTime()) ? env.date : null,
    messageId: env.messageId ?? "",
    inReplyTo: env.inReplyTo ?? "",
    references: env.references.flatMap((r) => r.split(/\s+/)).filter(Boolean),
    snippet: snippetOf(state),
    hasAttachments: state.hasAttachments,
  };
}

// ----- header blocks (mailsplit's MimeNode/Headers) -----------------------------------------

/**
 * Offset just past the empty line ("\n" or "\r\n") that ends the header block starting at
 * `start`, or -1 when no such line ends before `end`.
 */
function headerBlockEnd(raw: Buffer, start: number, end: number): number {
  let pos = start;
  while (pos < end) {
    const lf = raw.indexOf(LF, pos);
    if (lf < 0 || lf >= end) return -1;
    if (lf === pos || (lf === pos + 1 && raw[pos] === CR)) return lf + 1;
    pos = lf + 1;
  }
  return -1;
}

const isFoldingLine = (line: string): boolean => {
  const c = line.charCodeAt(0);
  return c === 0x20 || c === 0x09;
};
const normalizeKey = (key: string): string => key.toLowerCase().trim();

/** mailsplit's Headers._parseHeaders(): logical header lines with their lowercased keys. */
function splitHeaderLines(block: string): HeaderLine[] {
  let end = block.length;
  while (end > 0) {
    const c = block.charCodeAt(end - 1);
    if (c !== LF && c !== CR) break;
    end--;
  }
  const rawLines = block.slice(0, end).split(/\r?\n/);
  let i = 1;
  let first = rawLines[0];
  while (i < rawLines.length && isFoldingLine(rawLines[i])) first += "\r\n" + rawLines[i++];
  // an mbox "From " line or an HTTP POST preamble would be dropped from the headers
  if (/^From /i.test(first) || /^POST /i.test(first)) giveUp();
  const firstColon = first.indexOf(":");
  const lines: HeaderLine[] = [{ key: firstColon < 0 ? "" : normalizeKey(first.slice(0, firstColon)), line: first }];
  let keyPending = false;
  for (; i < rawLines.length; i++) {
    const cur = rawLines[i];
    if (isFoldingLine(cur)) {
      const entry = lines[lines.length - 1];
      if (keyPending) {
        const colon = cur.indexOf(":");
        if (colon >= 0) {
          entry.key = normalizeKey(entry.line + "\r\n" + cur.slice(0, colon));
          keyPending = false;
        }
      }
      entry.line += "\r\n" + cur;
    } else {
      const colon = cur.indexOf(":");
      lines.push({ key: colon < 0 ? "" : normalizeKey(cur.slice(0, colon)), line: cur });
      keyPending = colon < 0;
    }
  }
  return lines;
}

const HIGH_BYTE = /[\x80-\xff]/;

/** A header value as MailParser.processHeaders() reads it: unfolded, trimmed, raw bytes as UTF-8. */
function parserValue(line: string): string {
  const value = String(libmime.decodeHeader(line).value || "").trim();
  return HIGH_BYTE.test(value) ? Buffer.from(value, "latin1").toString() : value;
}

/** A header value as mailsplit's Headers.getFirst() reads it (UTF-8 first unless that is invalid). */
function splitterValue(line: string): string {
  let str = line;
  if (HIGH_BYTE.test(str)) {
    const utf8 = Buffer.from(str, "latin1").toString("utf8");
    if (!utf8.includes("\uFFFD")) str = utf8;
  }
  return String(libmime.decodeHeader(str).value || "").trim();
}

/** mailsplit's comment stripper for Content-Transfer-Encoding. */
function stripComments(value: string): string {
  if (value.indexOf("(") < 0) return value;
  return value
    .split(/([\n\r\u2028\u2029])/)
    .map((part) => {
      const start = part.indexOf("(");
      if (start < 0) return part;
      const end = part.lastIndexOf(")");
      return end > start ? part.slice(0, start) + part.slice(end + 1) : part;
    })
    .join("");
}

function decodeWordsSafe(value: string): string {
  // nothing for decodeWords() to do (it also drops its own "__\0JOIN\0__" markers)
  if (!value.includes("=?") && !value.includes("\x00")) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

interface MimeInfo {
  /** mailsplit's node.contentType: lowercased, or false when the header value is empty. */
  contentType: string | false;
  charset: string | false;
  /** mailsplit's node.disposition (what mailparser reports as contentDisposition). */
  disposition: string | false;
  encoding: string;
  flowed: boolean;
  delSp: boolean;
  multipart: string | false;
  boundary: string | false;
  /** MailParser keeps a Content-ID (the condition for `related`). */
  hasContentId: boolean;
}

/** What libmime.parseHeaderValue("") gives. */
const NO_HEADER: ReturnType<typeof libmime.parseHeaderValue> = { value: "", params: {}, decodedParams: [] };

/** The MIME facts mailsplit's MimeNode.parseHeaders() derives from a node's headers. */
function mimeInfo(lines: HeaderLine[]): MimeInfo {
  let ctLine: string | undefined;
  let cdLine: string | undefined;
  let cteLine: string | undefined;
  let hasContentId = false;
  for (const l of lines) {
    switch (l.key) {
      case "content-type":
        if (ctLine === undefined) ctLine = l.line;
        break;
      case "content-disposition":
        if (cdLine === undefined) cdLine = l.line;
        break;
      case "content-transfer-encoding":
        if (cteLine === undefined) cteLine = l.line;
        break;
      case "content-id":
        if (!hasContentId && parserValue(l.line)) hasContentId = true;
        break;
    }
  }

  const disp = cdLine === undefined ? NO_HEADER : libmime.parseHeaderValue(splitterValue(cdLine), { stripComments: true });
  let ctValue: string;
  if (ctLine !== undefined) {
    ctValue = splitterValue(ctLine);
  } else {
    ctValue = "";
    if (disp.params.filename) {
      const ext = path.parse(disp.params.filename).ext.replace(/^\./, "");
      if (ext) ctValue = libmime.detectMimeType(ext);
    }
    if (!ctValue) ctValue = /^attachment$/i.test(disp.value) ? "application/octet-stream" : "text/plain";
  }
  const ct = libmime.parseHeaderValue(ctValue, { stripComments: true });

  const encoding = stripComments(cteLine === undefined ? "" : splitterValue(cteLine)).toLowerCase().trim();
  const contentType = (ct.value || "").toLowerCase().trim() || false;
  let disposition: string | false = (disp.value || "").toLowerCase().trim() || false;
  if (disposition) disposition = decodeWordsSafe(disposition);

  let flowed = false;
  let delSp = false;
  if (contentType === "text/plain" && ct.params.format && ct.params.format.toLowerCase().trim() === "flowed") {
    flowed = true;
    if (ct.params.delsp && ct.params.delsp.toLowerCase().trim() === "yes") delSp = true;
  }

  let multipart: string | false = false;
  if (contentType) {
    const slash = contentType.indexOf("/");
    if (slash >= 0 && contentType.slice(0, slash) === "multipart") multipart = contentType.slice(slash + 1) || false;
  }
  const boundary = (ct.params.boundary || "").trimEnd();
  const ascii = Buffer.byteLength(boundary) === boundary.length;

  return {
    contentType,
    charset: ct.params.charset || false,
    disposition,
    encoding,
    flowed,
    delSp,
    multipart,
    boundary: boundary && ascii ? boundary : false,
    hasContentId,
  };
}

// ----- MIME structure ------------------------------------------------------------------------

/**
 * One node: its headers are `lines`, its body runs from `bodyStart` to `end` (for a
 * multipart, where its own delimiter lines are looked for) or to `bodyEnd` (a leaf's
 * content: the line break in front of the parent's next delimiter belongs to the delimiter).
 */
function visitNode(
  state: WalkState,
  lines: HeaderLine[],
  bodyStart: number,
  end: number,
  bodyEnd: number,
  isRoot: boolean,
  parent: Ancestry,
): void {
  if (++state.nodes > MAX_NODES || parent.depth > MAX_DEPTH) giveUp();
  const info = mimeInfo(lines);

  // mailsplit parses an inline message/rfc822 part as an embedded message
  if (
    info.contentType === "message/rfc822" &&
    (!info.encoding || info.encoding === "7bit" || info.encoding === "8bit" || info.encoding === "binary") &&
    info.disposition === "inline"
  ) {
    giveUp();
  }

  if (info.contentType && /^multipart\//i.test(info.contentType)) {
    if (!info.multipart || !info.boundary) giveUp();
    const boundary = info.boundary;
    // A delimiter line could then match more than one open multipart; mailsplit's order of
    // checks decides which, so leave that to it.
    for (const b of parent.boundaries) if (b.startsWith(boundary) || boundary.startsWith(b)) giveUp();
    const here: Ancestry = {
      related: parent.related || info.contentType === "multipart/related",
      alternative: parent.alternative || info.contentType === "multipart/alternative",
      boundaries: [...parent.boundaries, boundary],
      depth: parent.depth + 1,
    };
    const parts = splitMultipart(state.raw, Buffer.from(boundary, "latin1"), bodyStart, end);
    for (let p = 0; p < parts.length; p++) {
      const [partStart, partEnd] = parts[p];
      const hb = headerBlockEnd(state.raw, partStart, partEnd);
      if (hb < 0) giveUp(); // a part whose headers run into the next delimiter
      if (hb - partStart > MAX_HEADER_BYTES) giveUp();
      const partLines = splitHeaderLines(state.raw.toString("latin1", partStart, hb));
      // The line break in front of a delimiter line belongs to the delimiter. mailsplit
      // quirk: a body that is nothing but that line break keeps it when the next part follows
      // (not when the closing delimiter does).
      let leafEnd = partEnd;
      if (leafEnd > hb && state.raw[leafEnd - 1] === LF) {
        leafEnd--;
        if (leafEnd > hb && state.raw[leafEnd - 1] === CR) leafEnd--;
        if (leafEnd === hb && p < parts.length - 1) leafEnd = partEnd;
      }
      visitNode(state, partLines, hb, partEnd, leafEnd, false, here);
    }
    return;
  }

  // A leaf: what MailParser.createNode() makes of it.
  let contentType = info.contentType;
  if (!contentType && isRoot) contentType = "text/plain";
  const isTextType = contentType !== false && TEXT_TYPES.has(contentType);
  let disposition = info.disposition;
  if (disposition && disposition !== "attachment" && disposition !== "inline") disposition = "attachment";
  disposition = !disposition && !isTextType ? "attachment" : disposition || "inline";
  const isAttachment = !isTextType || disposition !== "inline";

  if (isAttachment) {
    // hasAttachments: attachments.some((a) => a.contentDisposition !== "inline" || !a.related)
    const related = info.hasContentId && parent.related;
    if (info.disposition !== "inline" || !related) state.hasAttachments = true;
    return;
  }
  if (contentType === "text/plain" || contentType === "message/delivery-status") state.hasText = true;
  state.leaves.push({
    type: contentType as string,
    charset: info.charset,
    encoding: info.encoding,
    flowed: info.flowed,
    delSp: info.delSp,
    start: bodyStart,
    end: bodyEnd,
    root: isRoot,
    alternative: parent.alternative,
  });
}

/**
 * The parts of a multipart body in [from, end): each part from the line after a delimiter
 * line to the start of the next delimiter line. Gives up unless the parts are closed by a
 * closing delimiter (mailsplit handles unclosed and oddly delimited bodies its own way).
 */
function splitMultipart(raw: Buffer, boundary: Buffer, from: number, end: number): Array<[number, number]> {
  const needle = Buffer.concat([Buffer.from("--"), boundary]);
  const parts: Array<[number, number]> = [];
  let partStart = -1;
  let pos = from;
  for (;;) {
    const hit = raw.indexOf(needle, pos);
    if (hit < 0 || hit >= end) break;
    // a delimiter starts a line, possibly after a stray CR (mailsplit allows one)
    let lineStart: number;
    let startpos: number;
    if (hit > 0 && raw[hit - 1] === LF) {
      lineStart = hit;
      startpos = 0;
    } else if (hit > 1 && raw[hit - 1] === CR && raw[hit - 2] === LF) {
      lineStart = hit - 1;
      startpos = 1;
    } else {
      pos = hit + 1;
      continue;
    }
    if (lineStart < from) {
      pos = hit + 1;
      continue;
    }
    const lf = raw.indexOf(LF, hit);
    const lineEnd = lf < 0 ? raw.length : lf + 1;
    if (lineEnd > end) giveUp();
    const kind = compareBoundary(raw, lineStart, lineEnd, startpos, boundary.length);
    // mailsplit reads a last line without a line break together with the line break before
    // it, so "\r--boundary--" at the very end is no delimiter there
    if (kind && lf < 0 && startpos) giveUp();
    if (!kind) {
      pos = lineEnd;
      continue;
    }
    if (partStart < 0) {
      if (kind === 2) giveUp(); // a closing delimiter before the first part
    } else {
      parts.push([partStart, lineStart]);
      if (parts.length > MAX_NODES) giveUp();
    }
    if (kind === 2) return parts;
    partStart = lineEnd;
    pos = lineEnd;
  }
  return giveUp(); // never closed
}

/**
 * mailsplit's compareBoundary() for a line whose "--" + boundary was already matched at
 * lineStart + startpos: 1 for a delimiter, 2 for the closing delimiter, 0 for neither.
 */
function compareBoundary(raw: Buffer, lineStart: number, lineEnd: number, startpos: number, boundaryLength: number): 0 | 1 | 2 {
  const len = lineEnd - lineStart;
  if (len < boundaryLength + 3 + startpos || len > boundaryLength + 1004 + startpos) return 0;
  let i = lineStart + startpos + 2 + boundaryLength;
  let result: 1 | 2 = 1;
  if (i < lineEnd && raw[i] === DASH) {
    if (!(i + 1 < lineEnd && raw[i + 1] === DASH)) return 0;
    result = 2;
    i += 2;
  }
  while (i < lineEnd && (raw[i] === 0x20 || raw[i] === 0x09)) i++;
  if (i === lineEnd) return result === 2 ? 2 : 0;
  while (i < lineEnd && raw[i] === CR) i++;
  if (i < lineEnd && raw[i] === LF) i++;
  return i === lineEnd ? result : 0;
}

// ----- envelope headers (MailParser.processHeaders) ----------------------------------------

function ensureMessageIdFormat(value: string): string | false {
  if (!value.length) return false;
  if (value.charAt(0) !== "<") value = "<" + value;
  if (value.charAt(value.length - 1) !== ">") value += ">";
  return value;
}

function addressList(value: string): AddressEntry[] {
  const out: AddressEntry[] = [];
  if (value) walkAddresses(parseAddressHeader(value).value, out);
  return out;
}

interface Envelope {
  from: AddressEntry[];
  to: AddressEntry[];
  cc: AddressEntry[];
  subject?: string;
  date?: Date;
  messageId?: string;
  inReplyTo?: string;
  references: string[];
}

function envelope(lines: HeaderLine[]): Envelope {
  const env: Envelope = { from: [], to: [], cc: [], references: [] };
  let fromSeen = false;
  for (const l of lines) {
    switch (l.key) {
      case "subject":
        if (env.subject === undefined) {
          const v = decodeWordsSafe(parserValue(l.line));
          if (v) env.subject = v; // mailparser keeps the first non-empty one
        }
        break;
      case "date":
        if (env.date === undefined) {
          let d = new Date(parserValue(l.line));
          if (Number.isNaN(d.getTime())) d = new Date(); // mailparser: "date parsing failed"
          env.date = d;
        }
        break;
      case "from":
        if (!fromSeen) {
          fromSeen = true;
          env.from = addressList(parserValue(l.line));
        }
        break;
      case "to":
        env.to.push(...addressList(parserValue(l.line)));
        break;
      case "cc":
        env.cc.push(...addressList(parserValue(l.line)));
        break;
      case "message-id":
        if (env.messageId === undefined) {
          const v = ensureMessageIdFormat(decodeWordsSafe(parserValue(l.line)));
          if (v) env.messageId = v;
        }
        break;
      case "in-reply-to":
        if (env.inReplyTo === undefined) {
          const v = ensureMessageIdFormat(decodeWordsSafe(parserValue(l.line)));
          if (v) env.inReplyTo = v;
        }
        break;
      case "references":
        for (const r of decodeWordsSafe(parserValue(l.line)).split(/\s+/)) {
          const id = ensureMessageIdFormat(r);
          if (id) env.references.push(id);
        }
        break;
    }
  }
  return env;
}

// ----- text ----------------------------------------------------------------------------------

/**
 * mailparser joins the text of its text parts with "\n" and the summary collapses all
 * whitespace of that, so the snippet is the parts' collapsed texts joined with single
 * spaces (an empty part adds nothing). Only as much text as the snippet needs is decoded.
 */
function snippetOf(state: WalkState): string {
  const pieces: string[] = [];
  let have = 0;
  for (const leaf of state.leaves) {
    if (have >= SNIPPET_LENGTH) break;
    if (leaf.type === "text/html") {
      // getTextContent(): HTML becomes text only outside an alternative when there is a
      // text part, or when it is the whole message and there is none
      if (!((!leaf.alternative && state.hasText) || (leaf.root && !state.hasText))) continue;
    }
    // at least 1, so that an empty text is told from a non-empty one
    const need = Math.max(1, SNIPPET_LENGTH - have - (have ? 1 : 0));
    const text = leaf.type === "text/html" ? htmlLeafText(state.raw, leaf, need) : plainLeafText(state.raw, leaf, need);
    if (text) {
      pieces.push(text);
      have += (have ? 1 : 0) + text.length;
    }
  }
  return pieces.join(" ").slice(0, SNIPPET_LENGTH);
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Charsets decoded one byte at a time, so that decoding a prefix of the body gives a prefix of the text. */
const PREFIX_SAFE_CHARSET = /^(?:iso-?8859-?\d+|(?:windows|cp)-?125\d|latin-?\d|us-?ascii|ascii)$/i;

/**
 * A text part's decoded text as mailparser builds node.textContent: transfer decoding,
 * format=flowed, then the charset. With `limit`, only the body's first `limit` bytes are
 * decoded (the end of that text may then be garbled: a cut multi-byte sequence or escape).
 */
function decodeLeaf(raw: Buffer, leaf: TextLeaf, limit: number): string {
  let end = leaf.end;
  if (limit > 0 && end - leaf.start > limit) {
    end = leaf.start + limit;
    if (leaf.encoding === "quoted-printable") {
      // cut after a line break, so that neither a soft line break nor an escape is split
      const lf = raw.lastIndexOf(LF, end - 1);
      if (lf > leaf.start) end = lf + 1;
    }
  }
  let bytes: Buffer = raw.subarray(leaf.start, end);
  if (leaf.encoding === "base64") bytes = decodeBase64(bytes);
  else if (leaf.encoding === "quoted-printable") bytes = libqp.decode(bytes);
  if (leaf.flowed && bytes.length) bytes = Buffer.from(libmime.decodeFlowed(bytes.toString("latin1"), leaf.delSp), "latin1");

  const charset = leaf.charset || "utf-8";
  let text: string;
  if (["ascii", "usascii", "utf8"].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, ""))) {
    text = bytes.toString();
  } else {
    // libmime's decode stream (what mailparser pipes the part through) gives what decode()
    // gives for the whole input, sent on as UTF-8 (a lone surrogate becomes U+FFFD)
    text = decodeCharset(bytes, charset);
    if (/[\uD800-\uDFFF]/.test(text)) text = Buffer.from(text, "utf8").toString();
  }
  return text;
}

/** libbase64's streaming Decoder: everything but base64 characters dropped, padded segments decoded one by one. */
function decodeBase64(bytes: Buffer): Buffer {
  let b64 = bytes.toString("latin1");
  if (/[^a-zA-Z0-9+/=]/.test(b64)) b64 = b64.replace(/[^a-zA-Z0-9+/=]/g, "");
  const pad = b64.indexOf("=");
  if (pad < 0 || !/[a-zA-Z0-9+/]/.test(b64.slice(pad))) return Buffer.from(b64, "base64");
  const out: Buffer[] = [];
  let start = 0;
  while (start <= b64.length) {
    let stop = b64.indexOf("=", start);
    if (stop < 0) stop = b64.length;
    if (stop > start) out.push(Buffer.from(b64.slice(start, stop), "base64"));
    start = stop + 1;
  }
  return Buffer.concat(out);
}

/**
 * collapse(text), or only a prefix of it with at least `need` characters: collapsing a
 * prefix of a text gives a prefix of the collapsed text (the last word may be cut short,
 * whitespace at the end is trimmed), and most of the time the snippet needs a few hundred
 * characters of a text that is much longer. Null when `text` runs out first and is not
 * `complete` (the caller then decodes more).
 */
function collapsedPrefix(text: string, need: number, complete: boolean): string | null {
  let k = Math.min(text.length, need + 64);
  for (;;) {
    const collapsed = collapse(k === text.length ? text : text.slice(0, k));
    if (collapsed.length >= need) return collapsed;
    if (k >= text.length) return complete ? collapsed : null;
    k = Math.min(text.length, k * 4);
  }
}

/** The collapsed text of a text/plain (or delivery-status) part; exact for at least its first `need` characters. */
function plainLeafText(raw: Buffer, leaf: TextLeaf, need: number): string {
  const charset = leaf.charset || "utf-8";
  const prefixOk =
    leaf.end - leaf.start > TEXT_PREFIX_BYTES &&
    (["ascii", "usascii", "utf8"].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, "")) || PREFIX_SAFE_CHARSET.test(charset.trim()));
  if (prefixOk) {
    const decoded = decodeLeaf(raw, leaf, TEXT_PREFIX_BYTES);
    // the last few characters may come from a cut escape or multi-byte sequence
    const text = collapsedPrefix(decoded.slice(0, Math.max(0, decoded.length - PREFIX_MARGIN)), need, false);
    if (text !== null) return text;
  }
  return collapsedPrefix(decodeLeaf(raw, leaf, 0), need, true)!;
}

// The conversion mailparser runs (htmlToText(html, { limits: { maxDepth } })), with its
// options compiled once instead of on every call.
const MAX_HTML_NESTING_DEPTH = 1000;
let htmlConverter: ((html: string) => string) | null = null;
function htmlToText(html: string): string {
  htmlConverter ??= compileHtmlToText({ limits: { maxDepth: MAX_HTML_NESTING_DEPTH } });
  return htmlConverter(html);
}

/** Marks where a cut-off prefix of HTML ended, in the text converted from it. */
const CUT_MARK = "\uE000\uE001";
/**
 * HTML that is always converted whole: html-to-text puts "> " in front of every line of a
 * blockquote, and how many (empty) lines there are can depend on what follows; in a <pre>
 * the text is joined as it comes.
 */
const PRE_OR_BLOCKQUOTE = /<(?:pre|blockquote)[\s/>]/i;

function htmlLeafText(raw: Buffer, leaf: TextLeaf, need: number): string {
  // mailparser converts the HTML with its line breaks normalized to "\n" (for text parts
  // that makes no difference to the collapsed snippet)
  const html = decodeLeaf(raw, leaf, 0).replace(/\r?\n/g, "\n");
  if (!html) return "";
  // mailparser refuses to convert HTML nested too deep (the text is then empty)
  if (exceedsHtmlNestingDepth(html, MAX_HTML_NESTING_DEPTH)) return "";
  try {
    // html-to-text costs about 0.2 ms per KB, so a prefix of the HTML is converted first. It
    // is cut before a tag, outside comments and raw text, and after the <body> tag if the
    // document has one (html-to-text then converts only the body). Elements still open at
    // the cut add their closing output (a link's [href]) after the text, so a mark is put at
    // the cut and only the text in front of it is used: a prefix of the full text.
    if (html.length > HTML_PREFIX_CHARS && !html.includes(CUT_MARK) && !PRE_OR_BLOCKQUOTE.test(html)) {
      const hasBodyTag = /<body/i.test(html);
      for (let length = HTML_PREFIX_CHARS; length < html.length; length *= 4) {
        const cut = htmlCut(html, length, hasBodyTag);
        if (cut < 0 || cut >= html.length) break;
        const converted = htmlToText(html.slice(0, cut) + CUT_MARK);
        const mark = converted.indexOf(CUT_MARK);
        if (mark < 0) break;
        // Word wrapping may place the last word before the cut differently than the full
        // conversion does (there it may be joined to the text that follows). Lines before
        // the one with the mark are final, so only those are used.
        const text = collapse(converted.slice(0, Math.max(0, converted.lastIndexOf("\n", mark))));
        if (text.length >= need) return text;
      }
    }
    return collapse(htmlToText(html));
  } catch {
    return ""; // mailparser: "Failed to parse HTML", the text stays empty
  }
}

const HTML_WS = new Set([0x20, 0x0a, 0x09, 0x0c, 0x0d]);
const RAW_TEXT_ELEMENTS = new Set(["script", "style", "title", "textarea", "xmp"]);
const isAsciiAlpha = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);

/**
 * A position at least `length` characters into the body (the first <body> tag, or the start
 * when the document has none) where htmlparser2 (html-to-text's parser) is in text state
 * right before a tag. html-to-text converts only the body elements of a document that has
 * any, so the first of them has to start in front of the cut. -1 when that cannot be told
 * (an unclosed comment, raw text or tag, ...), html.length when there is no such position.
 */
function htmlCut(html: string, length: number, hasBodyTag: boolean): number {
  let sawBody = !hasBodyTag;
  let target = length;
  let opened = 0;
  const n = html.length;
  let i = 0;
  for (;;) {
    const lt = html.indexOf("<", i);
    if (lt < 0 || lt + 1 >= n) return n;
    if (lt >= target && sawBody) return lt;
    const c = html.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
      // htmlparser2 consumes the character after "<!" (and after "<!-") before it looks for
      // the ">" that ends a declaration, so "<!>" and "<!->" do not end there
      let close: number;
      if (html.startsWith("<!--", lt)) close = html.indexOf("-->", lt + 2) + 3; // "<!-->" is a whole comment
      else if (html.startsWith("<![CDATA[", lt)) close = html.indexOf("]]>", lt + 9) + 3;
      else if (html.startsWith("<!-", lt)) close = html.indexOf(">", lt + 4) + 1;
      else close = html.indexOf(">", lt + 3) + 1;
      if (close <= 0) return -1;
      i = close;
    } else if (c === 0x3f /* ? */ || c === 0x2f /* / */) {
      const close = html.indexOf(">", lt + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (isAsciiAlpha(c)) {
      // tag name up to whitespace, "/" or ">"
      let j = lt + 1;
      while (j < n) {
        const d = html.charCodeAt(j);
        if (d === 0x2f || d === 0x3e || HTML_WS.has(d)) break;
        j++;
      }
      const name = html.slice(lt + 1, j).toLowerCase();
      // attributes, the way htmlparser2's tokenizer walks them
      let selfClosing = false;
      let st: "before" | "name" | "after" | "beforeValue" | "dq" | "sq" | "nq" | "selfClosing" = "before";
      let tagEnd = -1;
      while (j < n && tagEnd < 0) {
        const d = html.charCodeAt(j);
        switch (st) {
          case "before":
            if (d === 0x3e) tagEnd = j;
            else if (d === 0x2f) st = "selfClosing";
            else if (!HTML_WS.has(d)) st = "name";
            j++;
            break;
          case "selfClosing":
            if (d === 0x3e) {
              tagEnd = j;
              selfClosing = true;
              j++;
            } else if (HTML_WS.has(d)) j++;
            else st = "before"; // reconsume
            break;
          case "name":
            if (d === 0x3d || d === 0x2f || d === 0x3e || HTML_WS.has(d)) st = "after"; // reconsume
            else j++;
            break;
          case "after":
            if (d === 0x3d) {
              st = "beforeValue";
              j++;
            } else if (d === 0x2f || d === 0x3e) st = "before"; // reconsume
            else if (HTML_WS.has(d)) j++;
            else {
              st = "name";
              j++;
            }
            break;
          case "beforeValue":
            if (d === 0x22) st = "dq";
            else if (d === 0x27) st = "sq";
            else if (!HTML_WS.has(d)) {
              st = "nq";
              break; // reconsume
            }
            j++;
            break;
          case "dq":
          case "sq": {
            const close = html.indexOf(st === "dq" ? '"' : "'", j);
            if (close < 0) return -1;
            j = close + 1;
            st = "before";
            break;
          }
          case "nq":
            if (d === 0x3e || HTML_WS.has(d)) st = "before"; // reconsume
            else j++;
            break;
        }
      }
      if (tagEnd < 0) return -1;
      if (!sawBody) {
        // html-to-text looks for <body> elements but not inside <script> and <style>
        // elements, and a self-closed <script/> or <style/> is left open by htmlparser2
        if (selfClosing && (name === "script" || name === "style")) return -1;
        // nor deeper than its depth limit
        if (++opened > 500) return -1;
        if (name === "body") {
          sawBody = true;
          target = tagEnd + 1 + length;
        }
      }
      i = tagEnd + 1;
      if (!selfClosing && RAW_TEXT_ELEMENTS.has(name)) {
        // raw text up to "</name" followed by whitespace or ">"
        const re = new RegExp(`</${name}[ \\n\\t\\f\\r>]`, "ig");
        re.lastIndex = i;
        const m = re.exec(html);
        if (!m) return -1;
        i = m.index;
      }
    } else {
      i = lt + 1; // a "<" that starts no tag is text
    }
  }
}

// mailparser's check (mail-parser.js) before it converts HTML, copied as it is.
const HTML_VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);
const HTML_IMPLIED_END_ELEMENTS = new Set(["p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rt", "rp"]);
function isTagNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x3a ||
    code === 0x5f
  );
}
function exceedsHtmlNestingDepth(html: string, maxDepth: number): boolean {
  const stack: string[] = [];
  const open = new Map<string, number>();
  const len = html.length;
  let i = html.indexOf("<");
  while (i >= 0) {
    let pos = i + 1;
    if (html.startsWith("!--", pos)) {
      const end = html.indexOf("-->", pos + 3);
      i = end < 0 ? -1 : html.indexOf("<", end + 3);
      continue;
    }
    const closing = html.charCodeAt(pos) === 0x2f;
    if (closing) pos++;
    const nameStart = pos;
    while (pos < len && isTagNameChar(html.charCodeAt(pos))) pos++;
    if (pos === nameStart) {
      i = html.indexOf("<", pos);
      continue;
    }
    const name = html.slice(nameStart, pos).toLowerCase();
    const end = html.indexOf(">", pos);
    if (end < 0) break;
    if (!HTML_VOID_ELEMENTS.has(name) && !HTML_IMPLIED_END_ELEMENTS.has(name)) {
      if (!closing) {
        stack.push(name);
        open.set(name, (open.get(name) || 0) + 1);
        if (stack.length > maxDepth) return true;
      } else if (open.get(name)) {
        let popped: string;
        do {
          popped = stack.pop()!;
          open.set(popped, open.get(popped)! - 1);
        } while (popped !== name);
      }
    }
    i = html.indexOf("<", end + 1);
  }
  return false;
}
