/**
 * The parsed header summary stored with each message entry (what the inbox list,
 * threading and IMAP ENVELOPE need), from mailparser.
 */
import { simpleParser, type AddressObject } from "mailparser";

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
  const walk = (items: AddressObject["value"]) => {
    for (const a of items) {
      if (a.group) walk(a.group);
      else if (a.address || a.name) out.push({ name: a.name ?? "", address: (a.address ?? "").toLowerCase() });
    }
  };
  for (const o of list) walk(o.value);
  return out;
}

const SNIPPET_LENGTH = 200;

export async function summarise(raw: Buffer): Promise<MessageSummary> {
  // textAsHtml is never used; html-to-text runs only for messages without a text part (the snippet).
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipHtmlToText: false, skipTextToHtml: true });
  const from = flatten(parsed.from)[0];
  const text = (parsed.text ?? "").replace(/\s+/g, " ").trim();
  const refs = parsed.references ? (Array.isArray(parsed.references) ? parsed.references : [parsed.references]) : [];
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
