/** Header blocks as mailparser's splitter reads them, the MIME fields of a part, and the envelope headers of the message. */
import path from "node:path";
import { parseAddressHeader } from "mailparser";
import libmime from "libmime";
import { CR, type HeaderLine, LF, walkAddresses } from "./common";
import type { AddressEntry } from "../summary";

// ----- header blocks (mailsplit's MimeNode/Headers) -----------------------------------------

/**
 * Offset just past the empty line ("\n" or "\r\n") that ends the header block starting at
 * `start`, or -1 when no such line ends before `end`.
 */
export function headerBlockEnd(raw: Buffer, start: number, end: number): number {
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
export function splitHeaderLines(block: string): HeaderLine[] {
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
  // mailsplit drops an mbox "From " line or an HTTP POST preamble from the headers
  const firstColon = first.indexOf(":");
  const lines: HeaderLine[] = /^From /i.test(first) || /^POST /i.test(first) ? [] : [{ key: firstColon < 0 ? "" : normalizeKey(first.slice(0, firstColon)), line: first }];
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
export function parserValue(line: string): string {
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

export function decodeWordsSafe(value: string): string {
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
export function mimeInfo(lines: HeaderLine[]): MimeInfo {
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

export function envelope(lines: HeaderLine[]): Envelope {
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
          // mailparser turns a Date it cannot parse into the time of parsing; the summary
          // stores no sent date instead (null), so that sorting by date is not misled
          env.date = new Date(parserValue(l.line));
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

/**
 * The lines mailparser adds to its text in front of an embedded message's own text
 * (getTextContent()'s showMeta): From, Subject, Date, To, Cc, Bcc as it reads them (the
 * first From, Subject and Date, the last To, Cc and Bcc).
 */
export function embeddedMeta(lines: HeaderLine[]): string {
  const values = new Map<string, string>();
  for (const l of lines) {
    switch (l.key) {
      case "from":
        if (!values.has("From")) values.set("From", parseAddressHeader(parserValue(l.line)).text);
        break;
      case "to":
      case "cc":
      case "bcc":
        values.set(l.key[0].toUpperCase() + l.key.slice(1), parseAddressHeader(parserValue(l.line)).text);
        break;
      case "subject":
        if (!values.has("Subject")) {
          const v = decodeWordsSafe(parserValue(l.line));
          if (v) values.set("Subject", v);
        }
        break;
      case "date":
        if (!values.has("Date")) {
          const d = new Date(parserValue(l.line));
          // mailparser shows the time of parsing for a date it cannot read; nothing here
          values.set("Date", Number.isNaN(d.getTime()) ? "" : d.toUTCString());
        }
        break;
    }
  }
  const meta = ["From", "Subject", "Date", "To", "Cc", "Bcc"].filter((k) => values.has(k)).map((k) => `${k}: ${values.get(k)}`);
  return "\n" + meta.join("\n") + "\n";
}
