/**
 * Makes a stored message fit to relay. RFC 5321 4.5.3.1.6 limits a line to 998 octets
 * plus CRLF; the MX stores longer lines as they came (a signature may cover them), so on
 * the way out each body part holding one is re-encoded as quoted-printable (RFC 2045 6.7),
 * which keeps the content and changes only its transport form — the robust choice over
 * bouncing mail the sender cannot fix. A header line that long cannot be re-encoded and
 * bounces with the reason. Also says whether the message needs 8BITMIME (8-bit body
 * octets, RFC 6152) or SMTPUTF8 (UTF-8 in the header section, RFC 6532).
 */
import { walkParts, type MimePart } from "../../lib/mime/structure";
import qp from "nodemailer/lib/qp/index.js";

export const MAX_LINE = 998;

export interface Outgoing {
  bytes: Buffer;
  eightBit: boolean;
  utf8Header: boolean;
  /** Parts re-encoded for their long lines. */
  reencoded: number;
}

function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  if (crlf < 0 && lf < 0) return raw.length;
  if (crlf < 0) return lf + 2;
  if (lf < 0) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

function hasHighByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return true;
  return false;
}

/** Whether any line in raw[start, end) is longer than MAX_LINE octets (CR LF not counted). */
export function hasLongLine(raw: Buffer, start = 0, end = raw.length): boolean {
  let lineStart = start;
  for (;;) {
    const lf = raw.indexOf(0x0a, lineStart);
    const stop = lf < 0 || lf >= end ? end : lf;
    let len = stop - lineStart;
    if (len > 0 && raw[stop - 1] === 0x0d) len--;
    if (len > MAX_LINE) return true;
    if (stop >= end) return false;
    lineStart = stop + 1;
  }
}

/** The part's header section with Content-Transfer-Encoding set to quoted-printable. */
function qpHeader(header: string): string {
  const nl = header.includes("\r\n") ? "\r\n" : "\n";
  const lines = header.replace(/(\r?\n){1,2}$/, "").split(/\r?\n/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && kept.length) {
      if (!dropping) kept[kept.length - 1] += nl + line;
      continue;
    }
    dropping = /^content-transfer-encoding\s*:/i.test(line);
    if (!dropping && line !== "") kept.push(line);
  }
  kept.push("Content-Transfer-Encoding: quoted-printable");
  return kept.join("\r\n") + "\r\n\r\n";
}

/** Async only for the rare long-line case: the MIME parser's libraries load on first need, not in every idle engine. */
export async function prepareOutgoing(raw: Buffer): Promise<Outgoing | { error: string }> {
  const hEnd = headerEnd(raw);
  const out: Outgoing = { bytes: raw, eightBit: hasHighByte(raw, hEnd, raw.length), utf8Header: hasHighByte(raw, 0, hEnd), reencoded: 0 };
  if (!hasLongLine(raw)) return out;
  if (hasLongLine(raw, 0, hEnd)) return { error: `5.6.0 a header line is longer than ${MAX_LINE} octets (RFC 5321 4.5.3.1.6) and cannot be relayed` };
  const { parseMessage } = await import("../../lib/mime/message-parser");
  const { structure } = parseMessage(raw);
  const leaves: MimePart[] = [];
  for (const { part } of walkParts(structure)) {
    if (part.parts || part.message) {
      if (part !== structure && hasLongLine(raw, part.headerStart, part.bodyStart)) return { error: `5.6.0 a MIME part's header line is longer than ${MAX_LINE} octets and cannot be relayed` };
      continue;
    }
    if (!hasLongLine(raw, part.bodyStart, part.bodyEnd)) continue;
    if (hasLongLine(raw, part.headerStart, part.bodyStart)) return { error: `5.6.0 a MIME part's header line is longer than ${MAX_LINE} octets and cannot be relayed` };
    // base64 and quoted-printable bodies with long lines are broken encodings, not content to keep.
    if (!["7bit", "8bit", "binary"].includes(part.encoding)) return { error: `5.6.0 a ${part.encoding} part has lines longer than ${MAX_LINE} octets (RFC 2045) and cannot be relayed` };
    leaves.push(part);
  }
  leaves.sort((a, b) => a.headerStart - b.headerStart);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of leaves) {
    chunks.push(raw.subarray(at, p.headerStart));
    chunks.push(Buffer.from(qpHeader(raw.subarray(p.headerStart, p.bodyStart).toString("latin1")), "latin1"));
    chunks.push(Buffer.from(qp.wrap(qp.encode(raw.subarray(p.bodyStart, p.bodyEnd)), 76), "ascii"));
    at = p.bodyEnd;
  }
  chunks.push(raw.subarray(at));
  const bytes = Buffer.concat(chunks);
  return { bytes, eightBit: hasHighByte(bytes, hEnd, bytes.length), utf8Header: out.utf8Header, reencoded: leaves.length };
}

/** Why this destination cannot take the message, or null (RFC 6152 3, RFC 6531 3.4). */
export function refusalFor(o: Outgoing, extensions: string[], utf8Envelope: boolean): string | null {
  if ((o.utf8Header || utf8Envelope) && !extensions.includes("SMTPUTF8")) {
    return "5.6.7 the message has internationalised (UTF-8) addresses or headers and the destination does not offer SMTPUTF8 (RFC 6531)";
  }
  if (o.eightBit && !extensions.includes("8BITMIME")) return "5.6.3 the message has 8-bit content and the destination does not offer 8BITMIME (RFC 6152)";
  return null;
}
