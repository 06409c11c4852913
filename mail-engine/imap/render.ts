/**
 * INTERNALDATE and HEADER.FIELDS for FETCH. ENVELOPE and BODYSTRUCTURE are rendered by
 * lib/imap/structure.ts (stored once per message by the store).
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** date-time (RFC 3501 9), in UTC. */
export function internalDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The header fields named (or all but those, `not`), with the blank line that ends a header (RFC 3501 6.4.5). */
export function filterHeader(header: Buffer, names: string[], not: boolean): Buffer {
  const want = new Set(names.map((n) => n.toLowerCase()));
  const text = header.toString("latin1");
  const lines = text.split(/(?<=\n)/);
  const out: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line === "\r\n" || line === "\n") break;
    if (line[0] === " " || line[0] === "\t") {
      if (keep) out.push(line);
      continue;
    }
    const colon = line.indexOf(":");
    const name = (colon >= 0 ? line.slice(0, colon) : line).trim().toLowerCase();
    keep = want.has(name) !== not;
    if (keep) out.push(line);
  }
  out.push("\r\n");
  return Buffer.from(out.join(""), "latin1");
}
