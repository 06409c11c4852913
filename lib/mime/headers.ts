/** Small helpers for the header block of a raw message. */
import crypto from "node:crypto";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** An RFC 5322 date-time in UTC: "Mon, 23 Nov 2026 10:00:00 +0000". */
export function rfc5322Date(d = new Date()): string {
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** The header block (up to the first empty line), or the whole message when it has no body. */
export function headerBlock(raw: Buffer): string {
  let end = raw.indexOf("\r\n\r\n");
  if (end === -1) end = raw.length;
  return raw.subarray(0, end).toString("utf8");
}

/** The unfolded values of every header field with this name. */
export function headerValues(raw: Buffer, name: string): string[] {
  const unfolded = headerBlock(raw).replace(/\r\n[ \t]/g, " ");
  const out: string[] = [];
  const want = name.toLowerCase() + ":";
  for (const line of unfolded.split("\r\n")) {
    if (line.toLowerCase().startsWith(want)) out.push(line.slice(want.length).trim());
  }
  return out;
}

export function newMessageIdHeader(hostname: string): string {
  return `<${crypto.randomUUID()}@${hostname}>`;
}
