/**
 * IMAP response values (RFC 3501 4, 9): NIL, numbers, atoms written as given, strings as
 * a quoted string when they are short 7-bit text without CR, LF, NUL, '"' problems, else
 * as a literal `{n}` followed by the octets; lists in parentheses. A response is built
 * as chunks (text and Buffers) so literals are written as bytes, never re-encoded.
 * Shared by the engine's responses and the ENVELOPE / BODYSTRUCTURE the store renders
 * once per message (structure.ts).
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
