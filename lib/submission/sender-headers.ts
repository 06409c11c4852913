/**
 * Submission's check of the author fields a reader sees: From, Sender, Resent-From.
 *
 * It works on the header section alone (the bytes before the first empty line), so it
 * can run before the body has arrived. The section is split into fields by libmime and
 * address lists are parsed by nodemailer's addressparser; the rules:
 *  - every line is a field ("name: value") or a continuation of one; a line without a
 *    colon, a field name outside RFC 5322 3.6.8's ftext or a first line that is a
 *    continuation is malformed. "From : x" (RFC 5322 4.5.3 obsolete syntax, white
 *    space before the colon) is a From field, as readers display it;
 *  - exactly one From (RFC 5322 3.6: at most one, and it is required), at most one
 *    Sender, and a Sender when From names several mailboxes (3.6.2); Resent-From may
 *    repeat (one per resent block, 3.6.6);
 *  - From and Resent-From are mailbox-lists and Sender one mailbox: each entry must be
 *    a valid address; bare names, groups (also empty ones) and "<>" are refused;
 *  - encoded words are decoded first (RFC 2047); one inside an address is malformed
 *    (RFC 2047 5(3)), and a display name that shows an address other than the
 *    mailbox's own is refused, since that address is what a reader sees;
 *  - every mailbox must pass mayUse (the account's own addresses and its aliases).
 */
import libmime from "libmime";
import addressparser from "nodemailer/lib/addressparser/index.js";
import { parseAddress } from "../domain/address";

export interface HeaderRefusal {
  code: number;
  enhanced: string;
  message: string;
}

/** RFC 5322 3.6.8: printable US-ASCII except the colon. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
/** An address as a reader would recognise one inside a display name. */
const ADDRESS_LIKE = /[^\s<>()[\]"',;:@]+@[^\s<>()[\]"',;:@]+/g;
const ENCODED_WORD = /=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=/;
const AUTHOR_FIELDS = ["from", "sender", "resent-from"] as const;

const malformed = (message: string): HeaderRefusal => ({ code: 550, enhanced: "5.6.0", message });
const notYours = (message: string): HeaderRefusal => ({ code: 553, enhanced: "5.7.1", message });

export async function checkSenderHeaders(section: Buffer, mayUse: (address: string) => Promise<boolean>): Promise<HeaderRefusal | null> {
  const text = section.toString("utf8");
  if (/^[ \t]/.test(text)) return malformed("Malformed header section: it starts with a continuation line");
  const fields = new Map<string, string[]>();
  for (const line of unfold(text)) {
    const { key, value } = libmime.decodeHeader(line);
    const rawName = line.slice(0, Math.max(0, line.indexOf(":"))).replace(/[ \t]+$/, "");
    if (!key || !FIELD_NAME.test(rawName)) return malformed(`Malformed header line: ${printable(line)}`);
    if (!fields.has(key)) fields.set(key, []);
    fields.get(key)!.push(value);
  }
  const from = fields.get("from") ?? [];
  if (from.length === 0) return malformed("Message has no From header");
  if (from.length > 1) return malformed(`Message has ${from.length} From fields; RFC 5322 3.6 allows one`);
  const sender = fields.get("sender") ?? [];
  if (sender.length > 1) return malformed(`Message has ${sender.length} Sender fields; RFC 5322 3.6 allows one`);

  const fromList = mailboxes(from[0]);
  if ("list" in fromList && fromList.list.length > 1 && sender.length === 0) {
    return malformed("From names several mailboxes, so RFC 5322 3.6.2 requires a Sender field naming the one who sent it");
  }
  for (const name of AUTHOR_FIELDS) {
    const label = name === "from" ? "From" : name === "sender" ? "Sender" : "Resent-From";
    for (const value of fields.get(name) ?? []) {
      const parsed = mailboxes(value);
      if ("error" in parsed) return malformed(`${label}: ${parsed.error}`);
      if (name === "sender" && parsed.list.length !== 1) return malformed(`Sender must name exactly one mailbox, not ${parsed.list.length}`);
      for (const m of parsed.list) {
        const shown = [...m.displayName.matchAll(ADDRESS_LIKE)].map((x) => x[0].toLowerCase()).filter((a) => parseAddress(a)?.address !== m.address);
        if (shown.length) return notYours(`${label} display name shows the address ${shown[0]}, which is not the sender's mailbox <${m.address}>`);
        if (!(await mayUse(m.address))) return notYours(`${label} address <${m.address}> is not yours to send as`);
      }
    }
  }
  return null;
}

interface Mailbox {
  address: string;
  displayName: string;
}

/** The mailboxes of a mailbox-list value, or why it is not one. */
function mailboxes(value: string): { list: Mailbox[] } | { error: string } {
  const entries = addressparser(value);
  if (entries.length === 0) return { error: "no mailbox" };
  const list: Mailbox[] = [];
  for (const e of entries) {
    if ("group" in e && e.group) return { error: `a group ("${printable(libmime.decodeWords(e.name))}:") is not a mailbox; name the author's address` };
    const { address = "", name = "" } = e as { address?: string; name?: string };
    const displayName = libmime.decodeWords(name);
    if (ENCODED_WORD.test(address)) return { error: "an encoded word inside an address (RFC 2047 5)" };
    if (!address) {
      if (ENCODED_WORD.test(name) && parseAddress(displayName)) return { error: `an encoded word that decodes to the address ${displayName} is not a mailbox` };
      return { error: displayName ? `"${printable(displayName)}" has no address` : "no mailbox" };
    }
    const parsed = parseAddress(address);
    if (!parsed) return { error: `<${printable(address)}> is not a valid address` };
    list.push({ address: parsed.address, displayName });
  }
  return { list };
}

function unfold(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line === "") break; // the end of the section
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1] += "\r\n" + line;
    else out.push(line);
  }
  return out;
}

function printable(s: string): string {
  const clean = s.replace(/[\x00-\x1f\x7f]/g, " ");
  return clean.length > 80 ? clean.slice(0, 77) + "..." : clean;
}
