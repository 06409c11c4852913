/**
 * The stored MIME structure of a message (what message-parser.ts records at delivery) and
 * the pure look-ups IMAP and the web make on it: the part for a section number, the byte
 * range of a section, the attachment list. Nothing here reads the message: every answer
 * is a byte range into the stored blob, read by the caller.
 *
 * Serialised as JSON.stringify(structure) with the field names below: a typical message
 * has a handful of parts, so short names would save a few dozen bytes per message at the
 * cost of every reader needing a key. Optional fields are left out when absent.
 */

export interface MimePart {
  /** Byte offsets into the raw message. bodyStart is the end of the part's header, blank line included. */
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** Lower-case; RFC 2045 5.2 default text/plain, RFC 2046 5.1.5 default message/rfc822 inside multipart/digest. */
  type: string;
  subtype: string;
  /** Content-Type parameters, names lower-case, RFC 2231 continuations joined and charsets decoded. */
  params: Record<string, string>;
  /** Content-Transfer-Encoding, lower-case, default "7bit" (RFC 2045 6.1). */
  encoding: string;
  id?: string;
  description?: string;
  md5?: string;
  location?: string;
  language?: string[];
  /** RFC 2183; the filename RFC 2231 decoded. */
  disposition?: { type: string; params: Record<string, string> };
  /** Body octets, and lines: the LFs in the body plus one for a last line without one. */
  size: number;
  lines: number;
  /** base64 parts: the decoded octets (3/4 of the base64 characters), for the web's attachment list. */
  decodedSize?: number;
  parts?: MimePart[];
  message?: { envelope: Envelope; part: MimePart };
}

/**
 * The header values IMAP ENVELOPE needs (RFC 3501 7.4.2): the first occurrence of each,
 * unfolded (RFC 5322 2.2.3) and trimmed but not decoded. Bytes are read as UTF-8 when they
 * are valid UTF-8 (RFC 6532), else as latin1, so that every byte survives JSON; null when
 * the header is absent.
 */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: string | null;
  sender: string | null;
  replyTo: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/** An envelope with no fields. */
export const emptyEnvelope = (): Envelope => ({
  date: null,
  subject: null,
  from: null,
  sender: null,
  replyTo: null,
  to: null,
  cc: null,
  bcc: null,
  inReplyTo: null,
  messageId: null,
});

/** Header field name (lower-case) -> the Envelope field that keeps its raw value. */
export const ENVELOPE_FIELDS: Record<string, keyof Envelope> = {
  date: "date",
  subject: "subject",
  from: "from",
  sender: "sender",
  "reply-to": "replyTo",
  to: "to",
  cc: "cc",
  bcc: "bcc",
  "in-reply-to": "inReplyTo",
  "message-id": "messageId",
};

export const isMultipart = (p: MimePart): boolean => p.type === "multipart";

/**
 * The part an IMAP section number names (RFC 3501 6.4.5): "1.2" and the like, numbers only
 * ("HEADER", "TEXT", "MIME" suffixes: see sectionRange()). A message that is not multipart
 * has one part, "1", its body; the parts of a message/rfc822 part are numbered as those of
 * the message inside it. Null for a number that names no part.
 */
export function partAt(root: MimePart, section: string): MimePart | null {
  if (section === "") return root;
  const nums = section.split(".");
  let cur = root;
  // `cur` is a message (the root or an embedded one) whose parts the next number picks
  let inMessage = true;
  for (const s of nums) {
    if (!/^[1-9][0-9]*$/.test(s)) return null;
    const n = Number(s);
    if (!inMessage) {
      if (cur.message) cur = cur.message.part;
      else if (!isMultipart(cur)) return null;
    }
    if (isMultipart(cur)) {
      const next = cur.parts?.[n - 1];
      if (!next) return null;
      cur = next;
    } else if (n !== 1) {
      return null;
    }
    inMessage = false;
  }
  return cur;
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The bytes of a BODY[section] / BINARY[section] (before any decoding): "" is the whole
 * message, "HEADER"/"TEXT" its header and body, "1.2" a part's body, "1.2.MIME" its MIME
 * header, "1.2.HEADER"/"1.2.TEXT" the header and body of the message inside a
 * message/rfc822 part. HEADER.FIELDS variants are the caller's filter over "HEADER".
 * Null for a section that names nothing.
 */
export function sectionRange(root: MimePart, section: string): ByteRange | null {
  const m = /^(\d+(?:\.\d+)*)?(?:(?:^|\.)(HEADER(?:\.FIELDS(?:\.NOT)?)?|TEXT|MIME))?$/.exec(section.toUpperCase());
  if (!m) return null;
  const nums = m[1] ?? "";
  const what = (m[2] ?? "").replace(/\..*/, "");
  if (!nums) {
    if (what === "") return { start: root.headerStart, end: root.bodyEnd };
    if (what === "MIME") return null; // RFC 3501: MIME only follows a part number
    return what === "TEXT" ? { start: root.bodyStart, end: root.bodyEnd } : { start: root.headerStart, end: root.bodyStart };
  }
  const part = partAt(root, nums);
  if (!part) return null;
  if (what === "") return { start: part.bodyStart, end: part.bodyEnd };
  if (what === "MIME") {
    // the header of part "1" of a single-part message is the message's header
    return { start: part.headerStart, end: part.bodyStart };
  }
  const inner = part.message?.part;
  if (!inner) return null;
  return what === "TEXT" ? { start: inner.bodyStart, end: inner.bodyEnd } : { start: inner.headerStart, end: inner.bodyStart };
}

export interface AttachmentInfo {
  section: string;
  filename: string;
  contentType: string;
  /** Decoded octets (for quoted-printable the encoded size, an upper bound). */
  size: number;
  /** Content-Disposition inline, or no disposition but a Content-ID (an image HTML refers to). */
  inline: boolean;
  contentId: string;
}

/** The decoded size of a part's body as far as the structure tells it. */
export function decodedSize(p: MimePart): number {
  return p.decodedSize ?? p.size;
}

/** The file name a part offers: the Content-Disposition filename, else the Content-Type name. */
export function fileName(p: MimePart): string {
  return p.disposition?.params.filename ?? p.params.name ?? "";
}

/** The parts that are the message's text unless marked as attachments (mailparser's choice too). */
const BODY_TEXT = new Set(["text/plain", "text/html", "message/delivery-status"]);

/**
 * The parts the web lists as attachments, in section order: every leaf that is not the
 * message's text (a text/plain, text/html or message/delivery-status part without an
 * attachment disposition), and
 * every message/rfc822 part (listed as one file, its own parts not listed).
 */
export function attachments(root: MimePart): AttachmentInfo[] {
  const out: AttachmentInfo[] = [];
  const visit = (p: MimePart, section: string): void => {
    if (isMultipart(p) && p.parts) {
      p.parts.forEach((c, i) => visit(c, section ? `${section}.${i + 1}` : String(i + 1)));
      return;
    }
    const contentType = `${p.type}/${p.subtype}`;
    const disp = p.disposition?.type;
    if (BODY_TEXT.has(contentType) && disp !== "attachment") return;
    if (isMultipart(p)) return; // a multipart without parts (no boundary): nothing to offer
    out.push({
      section: section || "1",
      filename: fileName(p),
      contentType,
      size: decodedSize(p),
      inline: disp === "inline" || (!disp && !!p.id),
      contentId: (p.id ?? "").replace(/^<|>$/g, ""),
    });
  };
  visit(root, "");
  return out;
}

/** Every part with its section number, depth first (embedded messages' parts included). */
export function* walkParts(root: MimePart): Generator<{ section: string; part: MimePart }> {
  function* go(p: MimePart, section: string): Generator<{ section: string; part: MimePart }> {
    yield { section, part: p };
    if (p.parts) for (let i = 0; i < p.parts.length; i++) yield* go(p.parts[i], section ? `${section}.${i + 1}` : String(i + 1));
    if (p.message) {
      const inner = p.message.part;
      if (inner.parts) for (let i = 0; i < inner.parts.length; i++) yield* go(inner.parts[i], `${section || "1"}.${i + 1}`);
      else yield* go(inner, `${section || "1"}.1`);
    }
  }
  yield* go(root, "");
}
