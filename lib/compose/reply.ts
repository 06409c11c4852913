/**
 * What a reply or a forward starts with: recipients, subject, threading fields and the
 * quoted original. Pure functions over the original's parsed fields.
 */

export interface Address {
  name: string;
  address: string;
}

export interface Original {
  from: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  subject: string;
  date: Date | null;
  messageId: string;
  inReplyTo: string;
  /** The References field's message ids, oldest first. */
  references: string[];
  text: string;
}

const RE = /^\s*(re|aw|sv|antw)\s*(\[\d+\])?\s*:/i;
const FWD = /^\s*(fwd?|wg|tr)\s*:/i;

/** "Re: subject" once (RFC 5322 3.6.5), however many "Re:"/"Fwd:" the original had in front. */
export function replySubject(subject: string): string {
  const s = subject.trim();
  return RE.test(s) ? s.replace(RE, "Re:") : `Re: ${s}`;
}

export function forwardSubject(subject: string): string {
  const s = subject.trim();
  return FWD.test(s) ? s : `Fwd: ${s}`;
}

/**
 * RFC 5322 3.6.4: In-Reply-To is the parent's Message-ID; References is the parent's
 * References (or, without one, its In-Reply-To when that is a single id) followed by the
 * parent's Message-ID. Thunderbird and Gmail thread on exactly these.
 */
export function threadingFor(o: Pick<Original, "messageId" | "references" | "inReplyTo">): { inReplyTo: string; references: string[] } {
  const id = o.messageId.trim();
  const parentRefs = o.references.length ? o.references : /^<[^<>\s]+>$/.test(o.inReplyTo.trim()) ? [o.inReplyTo.trim()] : [];
  const references = [...parentRefs.filter((r) => r !== id), ...(id ? [id] : [])];
  return { inReplyTo: id, references };
}

const fmt = (a: Address) => (a.name ? `${a.name} <${a.address}>` : a.address);
const lower = (s: string) => s.trim().toLowerCase();

/**
 * Recipients of a reply (RFC 5322 3.6.3: to the Reply-To when there is one, else the
 * From); a reply to all adds the original's To and Cc as Cc, without the user's own
 * addresses and without repeats. A reply to one's own sent message goes to its recipients.
 */
export function replyRecipients(o: Original, own: string[], all: boolean): { to: string[]; cc: string[] } {
  const mine = new Set(own.map(lower));
  const fromMe = o.from.length > 0 && o.from.every((a) => mine.has(lower(a.address)));
  const primary = fromMe ? o.to : o.replyTo.length ? o.replyTo : o.from;
  const seen = new Set<string>();
  const keep = (list: Address[]) =>
    list.filter((a) => {
      const k = lower(a.address);
      if (!k || seen.has(k) || (mine.has(k) && !fromMe)) return false;
      seen.add(k);
      return true;
    });
  const to = keep(primary).map(fmt);
  if (!all) return { to, cc: [] };
  const cc = keep(fromMe ? o.cc : [...o.to, ...o.cc].filter((a) => !mine.has(lower(a.address)))).map(fmt);
  return { to, cc };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function attribution(o: Original): string {
  const who = o.from[0] ? fmt(o.from[0]) : "someone";
  return o.date ? `On ${o.date.toUTCString()}, ${who} wrote:` : `${who} wrote:`;
}

/** The original quoted below the reply, as text ("> " lines) and as editor HTML (a blockquote). */
export function quoted(o: Original): { text: string; html: string } {
  const lines = o.text.replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  const text = `\n\n${attribution(o)}\n${lines.map((l) => (l.startsWith(">") ? `>${l}` : `> ${l}`)).join("\n")}\n`;
  const html = `<p>${escapeHtml(attribution(o))}</p><blockquote>${paragraphs(o.text)}</blockquote>`;
  return { text, html };
}

/** A forwarded message's header block and body, inline. */
export function forwardedInline(o: Original): { text: string; html: string } {
  const head = [
    "---------- Forwarded message ---------",
    `From: ${o.from.map(fmt).join(", ")}`,
    o.date ? `Date: ${o.date.toUTCString()}` : "",
    `Subject: ${o.subject}`,
    `To: ${o.to.map(fmt).join(", ")}`,
    o.cc.length ? `Cc: ${o.cc.map(fmt).join(", ")}` : "",
  ].filter(Boolean);
  const text = `\n\n${head.join("\n")}\n\n${o.text}`;
  const html = `<p></p><p>${head.map(escapeHtml).join("<br>")}</p>${paragraphs(o.text)}`;
  return { text, html };
}

function paragraphs(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/** A signature below the body, after the "-- " separator (RFC 3676 4.3). */
export function withSignature(signature: string): { text: string; html: string } {
  if (!signature.trim()) return { text: "", html: "" };
  return { text: `\n\n-- \n${signature}`, html: `<p>-- <br>${escapeHtml(signature).replace(/\n/g, "<br>")}</p>` };
}
