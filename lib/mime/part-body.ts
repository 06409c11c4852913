/**
 * A part's content from its stored bytes: the slice sectionRange() names, with its
 * Content-Transfer-Encoding undone (what IMAP BINARY, RFC 3516, and attachment downloads
 * serve), without parsing the message again.
 */
import libqp from "libqp";
import type { MimePart } from "./structure";

/**
 * `body` decoded from `encoding`; null for an encoding this cannot undo (RFC 3516 4.3:
 * BINARY then answers NO [UNKNOWN-CTE]). Characters outside the base64 alphabet are
 * skipped (RFC 2045 6.8), as mailparser does.
 */
export function decodeBody(body: Buffer, encoding: string): Buffer | null {
  switch (encoding.toLowerCase()) {
    case "7bit":
    case "8bit":
    case "binary":
    case "":
      return body;
    case "base64":
      return Buffer.from(body.toString("latin1"), "base64");
    case "quoted-printable":
      return libqp.decode(body);
    default:
      return null;
  }
}

/** The decoded content of `part` of the stored message `raw`. */
export function partContent(raw: Buffer, part: MimePart): Buffer | null {
  return decodeBody(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
}
