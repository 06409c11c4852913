/**
 * ENVELOPE and BODY / BODYSTRUCTURE (RFC 3501 7.4.2) from a message's stored MIME
 * structure (lib/mime/structure.ts), and their IMAP text. The store renders ENVELOPE and
 * BODYSTRUCTURE once per blob, at delivery ("BlobImap", lib/store/imap-cache.ts), as
 * Dovecot keeps them in its cache file: a FETCH of a whole mailbox then writes stored
 * text instead of parsing address lists and walking parts per message per FETCH.
 */
import addressparser from "nodemailer/lib/addressparser/index.js";
import type { Envelope, MimePart } from "../mime/structure";
import { encode, type Value } from "./values";

type Parsed = { name?: string; address?: string; group?: Parsed[] };

/** An address list as IMAP address structures: (name adl mailbox host); groups per RFC 3501 7.4.2. */
export function addressList(value: string | null): Value {
  if (!value) return null;
  let entries: Parsed[];
  try {
    entries = addressparser(value) as Parsed[];
  } catch {
    return null;
  }
  const out: Value[] = [];
  const one = (a: Parsed): Value => {
    let addr = a.address ?? "";
    // An obsolete source route (RFC 5322 4.4, "<@route:user@host>") is the adl field.
    let adl: string | null = null;
    const route = /^(@[^:]+):(.*)$/.exec(addr);
    if (route) {
      adl = route[1];
      addr = route[2];
    }
    const at = addr.lastIndexOf("@");
    const mailbox = at >= 0 ? addr.slice(0, at) : addr;
    const host = at >= 0 ? addr.slice(at + 1) : "";
    return [a.name ? a.name : null, adl, mailbox || null, host || null];
  };
  for (const e of entries) {
    if (e.group) {
      out.push([null, null, e.name ?? "", null]);
      for (const g of e.group) if (g.address) out.push(one(g));
      out.push([null, null, null, null]);
    } else if (e.address || e.name) out.push(one(e));
  }
  return out.length ? out : null;
}

export function envelope(e: Envelope | null): Value {
  if (!e) return [null, null, null, null, null, null, null, null, null, null];
  const from = addressList(e.from);
  // RFC 3501 7.4.2: Sender and Reply-To default to From.
  return [e.date, e.subject, from, addressList(e.sender) ?? from, addressList(e.replyTo) ?? from, addressList(e.to), addressList(e.cc), addressList(e.bcc), e.inReplyTo, e.messageId];
}

function params(p: Record<string, string>): Value {
  const out: Value[] = [];
  for (const [k, v] of Object.entries(p)) out.push(k, v);
  return out.length ? out : null;
}

function extension(p: MimePart): Value[] {
  const disposition: Value = p.disposition ? [p.disposition.type, params(p.disposition.params)] : null;
  const language: Value = p.language?.length ? p.language : null;
  return [disposition, language, p.location ?? null];
}

/** BODYSTRUCTURE (extended = true) or BODY. */
export function bodyStructure(p: MimePart, extended: boolean): Value {
  if (p.type === "multipart" && p.parts?.length) {
    const out: Value[] = p.parts.map((c) => bodyStructure(c, extended));
    out.push(p.subtype);
    if (extended) out.push(params(p.params), ...extension(p));
    return out;
  }
  const multipartWithoutParts = p.type === "multipart";
  const type = multipartWithoutParts ? "text" : p.type;
  const subtype = multipartWithoutParts ? "plain" : p.subtype;
  const out: Value[] = [type, subtype, multipartWithoutParts ? null : params(p.params), p.id ?? null, p.description ?? null, p.encoding, p.size];
  if (p.message) out.push(envelope(p.message.envelope), bodyStructure(p.message.part, extended), p.lines);
  else if (type === "text") out.push(p.lines);
  if (extended) out.push(p.md5 ?? null, ...extension(p));
  return out;
}

/** A value as the text it is sent as (a literal's octets as UTF-8, as the session writes strings). */
export function valueText(v: Value): string {
  let s = "";
  for (const c of encode(v)) s += typeof c === "string" ? c : c.toString("utf8");
  // RFC 3501 9: a literal holds no NUL (CHAR8); a space keeps every literal's length true.
  return s.includes("\0") ? s.replace(/\0/g, " ") : s;
}

/** What FETCH sends for ENVELOPE and BODYSTRUCTURE of one message (the text after the item name). */
export interface ImapRendering {
  envelope: string;
  bodyStructure: string;
}

export function renderForImap(s: { structure: MimePart; envelope: Envelope }): ImapRendering {
  return { envelope: valueText(envelope(s.envelope)), bodyStructure: valueText(bodyStructure(s.structure, true)) };
}
