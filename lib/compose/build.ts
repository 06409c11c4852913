/**
 * A composed message as MIME, built by nodemailer's MailComposer: multipart/alternative
 * with a real text/plain part next to the HTML (RFC 2046 5.1.4: the plain one first), or
 * text/plain alone in plain-text mode; images pasted into the editor (data: URLs) become
 * inline parts referenced by cid: (RFC 2392), inside multipart/related; a forwarded
 * message travels as message/rfc822 (RFC 2046 5.2.1).
 */
import crypto from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import sanitizeHtml from "sanitize-html";
import { convert } from "html-to-text";

export interface ComposeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ComposeInput {
  from: { address: string; name: string };
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  /** The editor's HTML; null in plain-text mode. */
  html: string | null;
  /** The plain text (plain-text mode); derived from the HTML otherwise. */
  text: string;
  inReplyTo?: string;
  references?: string[];
  attachments: ComposeAttachment[];
  /** A message forwarded as an attachment: its bytes. */
  forwarded?: { filename: string; raw: Buffer } | null;
  /** Keep the Bcc field (a draft: the sender's own copy must remember it). */
  keepBcc?: boolean;
  hostname: string;
  date?: Date;
}

export interface BuiltMessage {
  raw: Buffer;
  messageId: string;
}

/** Tags and attributes a rich-text editor produces; anything else (scripts, handlers, remote styles) goes. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ["p", "br", "strong", "b", "em", "i", "u", "s", "a", "ul", "ol", "li", "blockquote", "pre", "code", "h1", "h2", "h3", "hr", "img", "div", "span"],
  allowedAttributes: { a: ["href"], img: ["src", "alt"], blockquote: ["type", "cite"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["data", "cid"] },
};

const DATA_IMAGE = /<img\b([^>]*?)\ssrc="data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)"/g;

/** The editor's HTML made safe, and its pasted images turned into inline parts. */
export function inlineImages(html: string, hostname: string): { html: string; related: Array<ComposeAttachment & { cid: string }> } {
  const related: Array<ComposeAttachment & { cid: string }> = [];
  const clean = sanitizeHtml(html, SANITIZE).replace(DATA_IMAGE, (_m, before: string, type: string, b64: string) => {
    const cid = `${crypto.randomUUID()}@${hostname}`;
    const ext = type.split("/")[1].replace("jpeg", "jpg");
    related.push({ cid, filename: `image-${related.length + 1}.${ext}`, contentType: type, content: Buffer.from(b64.replace(/\s+/g, ""), "base64") });
    return `<img${before} src="cid:${cid}"`;
  });
  return { html: clean, related };
}

/** The plain-text alternative of the editor's HTML: quotes as "> ", links with their targets. */
export function textOfHtml(html: string): string {
  const text = convert(html, { wordwrap: 78, selectors: [{ selector: "img", format: "skip" }, { selector: "blockquote", options: { trimEmptyLines: true } }] });
  // html-to-text trims line ends, which turns the signature separator "-- " (RFC 3676 4.3) into "--".
  return text.replace(/^--$/m, "-- ");
}

export async function buildMessage(input: ComposeInput): Promise<BuiltMessage> {
  const messageId = `<${crypto.randomUUID()}@${input.hostname}>`;
  let html: string | undefined;
  let text = input.text;
  const attachments: Array<Record<string, unknown>> = [];
  if (input.html !== null) {
    const inlined = inlineImages(input.html, input.hostname);
    html = `<!doctype html><html><head><meta charset="utf-8"></head><body>${inlined.html}</body></html>`;
    text = textOfHtml(inlined.html);
    for (const r of inlined.related) attachments.push({ filename: r.filename, contentType: r.contentType, content: r.content, cid: r.cid, contentDisposition: "inline" });
  }
  for (const a of input.attachments) attachments.push({ filename: a.filename, contentType: a.contentType || "application/octet-stream", content: a.content });
  if (input.forwarded) attachments.push({ filename: input.forwarded.filename, contentType: "message/rfc822", content: input.forwarded.raw, contentDisposition: "attachment" });
  const composer = new MailComposer({
    from: input.from.name ? { name: input.from.name, address: input.from.address } : input.from.address,
    to: input.to.length ? input.to : undefined,
    cc: input.cc.length ? input.cc : undefined,
    bcc: input.bcc.length ? input.bcc : undefined,
    subject: input.subject,
    text,
    html,
    attachments: attachments as never,
    messageId,
    date: input.date ?? new Date(),
    inReplyTo: input.inReplyTo || undefined,
    references: input.references?.length ? input.references.join(" ") : undefined,
  });
  const node = composer.compile();
  if (input.keepBcc) (node as unknown as { keepBcc: boolean }).keepBcc = true;
  const raw = await new Promise<Buffer>((resolve, reject) => node.build((err, out) => (err ? reject(err) : resolve(out))));
  return { raw, messageId };
}
