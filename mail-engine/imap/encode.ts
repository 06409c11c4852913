/**
 * Response values (RFC 3501 4, 9): NIL, numbers, atoms written as given, strings as a
 * quoted string when they are short 7-bit text without CR, LF, NUL, '"' problems, else
 * as a literal `{n}` followed by the octets; lists in parentheses. A response is built
 * as chunks (text and Buffers) so literals are written as bytes, never re-encoded.
 */

/** An IMAP value: null is NIL; a Raw is written as is (atoms, flags, numbers). */
export type Value = null | number | bigint | Raw | string | Buffer | Value[];

export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (t: string) => new Raw(t);

/** Strings above this length are sent as literals (quoted strings are meant for short text). */
const MAX_QUOTED = 1024;

function needsLiteral(b: Buffer): boolean {
  if (b.length > MAX_QUOTED) return true;
  for (const c of b) if (c === 0 || c === 10 || c === 13 || c >= 0x80) return true;
  return false;
}

export function encodeString(v: string | Buffer, out: Array<string | Buffer>): void {
  const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
  if (needsLiteral(b)) {
    out.push(`{${b.length}}\r\n`);
    out.push(b);
    return;
  }
  out.push('"' + b.toString("latin1").replace(/[\\"]/g, (c) => "\\" + c) + '"');
}

export function encode(v: Value, out: Array<string | Buffer> = []): Array<string | Buffer> {
  if (v === null) out.push("NIL");
  else if (typeof v === "number" || typeof v === "bigint") out.push(String(v));
  else if (v instanceof Raw) out.push(v.text);
  else if (typeof v === "string" || Buffer.isBuffer(v)) encodeString(v, out);
  else {
    out.push("(");
    v.forEach((x, i) => {
      if (i) out.push(" ");
      encode(x, out);
    });
    out.push(")");
  }
  return out;
}

/** A mailbox name as an astring (RFC 3501 5.1: names are UTF-8 here, RFC 6855 / 9051 style). */
export function mailboxName(name: string): Value {
  return name;
}

/** The flags of a message as IMAP flag atoms (RFC 3501 2.3.2). */
export function flagList(m: { seen: boolean; answered: boolean; flagged: boolean; deleted: boolean; draft: boolean; keywords: string }): string {
  const out: string[] = [];
  if (m.seen) out.push("\\Seen");
  if (m.answered) out.push("\\Answered");
  if (m.flagged) out.push("\\Flagged");
  if (m.deleted) out.push("\\Deleted");
  if (m.draft) out.push("\\Draft");
  if (m.keywords) out.push(...m.keywords.split(" ").filter(Boolean));
  return "(" + out.join(" ") + ")";
}
