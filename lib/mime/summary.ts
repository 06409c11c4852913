/**
 * The parsed header summary stored with each message entry (what the inbox list,
 * threading and IMAP ENVELOPE need).
 *
 * The summary used to come from mailparser's simpleParser for every message, which builds
 * the whole MIME tree with streams, decodes and hashes every attachment and converts text
 * to HTML: most of its cost goes into things the summary never reads. summarise() now
 * takes a fast path for the common shapes (single-part text or HTML, multipart/alternative,
 * mixed with attachments, related with inline images, nested combinations): it finds the
 * part boundaries the way mailparser's splitter (@zone-eu/mailsplit) does, decodes headers
 * with the same libraries mailparser uses (libmime, mailparser's own address parser) and
 * decodes only the text the snippet needs. Whatever the fast path does not mirror exactly
 * (embedded message/rfc822 parts, malformed or unterminated multiparts, mbox "From " lines,
 * boundaries nested inside each other, ...) and any exception falls back to the mailparser
 * implementation, summariseWithMailparser(), whose output the fast path reproduces.
 */
import { simpleParser, type AddressObject } from "mailparser";
import { summariseFast } from "./summary-fast";
import { SNIPPET_LENGTH, walkAddresses } from "./summary-fast/common";

export interface AddressEntry {
  name: string;
  address: string;
}

export interface MessageSummary {
  fromAddress: string;
  fromName: string;
  to: AddressEntry[];
  cc: AddressEntry[];
  subject: string;
  sentDate: Date | null;
  messageId: string;
  inReplyTo: string;
  references: string[];
  snippet: string;
  hasAttachments: boolean;
}


function flatten(obj: AddressObject | AddressObject[] | undefined): AddressEntry[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  const out: AddressEntry[] = [];
  for (const o of list) walkAddresses(o.value, out);
  return out;
}

export async function summarise(raw: Buffer): Promise<MessageSummary> {
  return fastSummary(raw) ?? summariseWithMailparser(raw);
}

/** The reference implementation: everything from mailparser's simpleParser. Also the fallback. */
export async function summariseWithMailparser(raw: Buffer): Promise<MessageSummary> {
  // textAsHtml is never used; html-to-text runs only for messages without a text part (the snippet).
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipHtmlToText: false, skipTextToHtml: true });
  const from = flatten(parsed.from)[0];
  const text = (parsed.text ?? "").replace(/\s+/g, " ").trim();
  const refs = parsed.references ? (Array.isArray(parsed.references) ? parsed.references : [parsed.references]) : [];
  // NB: mailparser turns a Date header it cannot parse into the time of parsing, so the
  // NaN check below never triggers for a present header (kept as it was).
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    fromAddress: from?.address ?? "",
    fromName: from?.name ?? "",
    to: flatten(parsed.to),
    cc: flatten(parsed.cc),
    subject: parsed.subject ?? "",
    sentDate: date,
    messageId: parsed.messageId ?? "",
    inReplyTo: parsed.inReplyTo ?? "",
    references: refs.flatMap((r) => r.split(/\s+/)).filter(Boolean),
    snippet: text.slice(0, SNIPPET_LENGTH),
    hasAttachments: parsed.attachments.some((a) => a.contentDisposition !== "inline" || !a.related),
  };
}

/**
 * The summary without mailparser, or null when the message has a shape the fast path does
 * not handle (summarise() then uses mailparser). Exported for the equivalence tests.
 */
export function fastSummary(raw: Buffer): MessageSummary | null {
  try {
    return summariseFast(raw);
  } catch {
    return null;
  }
}
