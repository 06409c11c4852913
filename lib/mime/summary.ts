/**
 * The parsed header summary stored with each message entry (what the inbox list,
 * threading and IMAP ENVELOPE need).
 *
 * It comes from the delivery parser (message-parser.ts), which produces the MIME structure
 * and this summary in one pass and mirrors what mailparser's simpleParser reports.
 * summariseWithMailparser() is that reference, kept for the equivalence tests.
 */
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { parseMessage } from "./message-parser";
import { otherAuthors, SNIPPET_LENGTH, walkAddresses } from "./summary-fast/common";

export interface AddressEntry {
  name: string;
  address: string;
}

export interface MessageSummary {
  fromAddress: string;
  fromName: string;
  /**
   * The other authors of a From with several (RFC 5322 3.6.2) as `name <address>, ...`;
   * empty for one author. SEARCH FROM looks here besides the first author's columns.
   */
  fromOthers?: string;
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

/** The summary of a message (never rejects: a message that cannot be parsed gets a minimal one). */
export async function summarise(raw: Buffer): Promise<MessageSummary> {
  return parseMessage(raw).summary;
}

/** The reference implementation: everything from mailparser's simpleParser. Also the fallback. */
export async function summariseWithMailparser(raw: Buffer): Promise<MessageSummary> {
  // textAsHtml is never used; html-to-text runs only for messages without a text part (the snippet).
  return summaryOfParsedMail(await simpleParser(raw, MAILPARSER_OPTIONS));
}

/** The options the reference summary parses with. */
export const MAILPARSER_OPTIONS = { skipImageLinks: true, skipTextLinks: true, skipHtmlToText: false, skipTextToHtml: true } as const;

/** The summary of a message simpleParser(raw, MAILPARSER_OPTIONS) gave. */
export function summaryOfParsedMail(parsed: ParsedMail): MessageSummary {
  const authors = flatten(parsed.from);
  const from = authors[0];
  const text = (parsed.text ?? "").replace(/\s+/g, " ").trim();
  const refs = parsed.references ? (Array.isArray(parsed.references) ? parsed.references : [parsed.references]) : [];
  // NB: mailparser turns a Date header it cannot parse into the time of parsing, so the
  // NaN check below never triggers for a present header (the delivery parser gives null).
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    fromAddress: from?.address ?? "",
    fromName: from?.name ?? "",
    fromOthers: otherAuthors(authors),
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
