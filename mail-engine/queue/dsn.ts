/**
 * Delivery status notifications (RFC 3464 multipart/report, RFC 6522) to the envelope
 * sender: "failed" when a recipient bounced or expired, "delayed" once after the delay
 * notice time, "delivered" (stored in a local mailbox) and "relayed" (handed to a next
 * hop that does not offer DSN), "expanded" (an alias that passes it to several
 * destinations, RFC 3461 5.2.7) when NOTIFY asks for SUCCESS. RFC 3461: a recipient's
 * NOTIFY decides whether one is wanted (NEVER; by default failures and delays), ENVID
 * and ORCPT are echoed. RET (4.3) concerns failure reports only: RET=FULL returns the
 * whole message, RET=HDRS or no RET its header section (Postfix returns the whole
 * message up to bounce_size_limit when RET is absent; the header is enough to tell which
 * message it was, keeps a DSN small and the content out of other mailboxes); other
 * reports always carry the header section alone. Never for a null sender (RFC 5321
 * 4.5.5) nor for a DSN (RFC 3464 2.4).
 */
import crypto from "node:crypto";
import { headerBlock, newMessageIdHeader, rfc5322Date } from "../../lib/mime/headers";
import type { ClaimedMessage } from "../../lib/store/ops/queue";

export type DsnAction = "failed" | "delayed" | "delivered" | "relayed" | "expanded";

/** What a DSN says about the message it reports on (a queue entry, or a message being received). */
export type DsnSubject = Pick<ClaimedMessage, "mailFrom" | "envId" | "ret" | "createdAt">;

export interface DsnRecipient {
  address: string;
  orcpt: string | null;
  action: DsnAction;
  /** The last reply or our own reason, starting with an SMTP or enhanced status code. */
  reply: string;
  remoteMta?: string;
}

const KEYWORD: Record<DsnAction, string> = { failed: "FAILURE", delayed: "DELAY", delivered: "SUCCESS", relayed: "SUCCESS", expanded: "SUCCESS" };

/** Whether NOTIFY (RFC 3461 4.1) asks for this kind; absent NOTIFY means FAILURE,DELAY. */
export function wanted(notify: string | null, action: DsnAction): boolean {
  const n = (notify ?? "FAILURE,DELAY").toUpperCase().split(",").map((s) => s.trim());
  if (n.includes("NEVER")) return false;
  return n.includes(KEYWORD[action]);
}

export function mayNotify(m: Pick<ClaimedMessage, "mailFrom" | "isDsn">): boolean {
  return m.mailFrom !== "" && !m.isDsn;
}

/** The enhanced status code (RFC 3463) of a reply, or one from its basic code. */
export function statusOf(reply: string, action: DsnAction): string {
  const m = /(?:^|\s)([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(reply);
  if (m) return m[1];
  const code = /^([245])\d\d/.exec(reply.trim());
  if (code) return `${code[1]}.0.0`;
  return action === "failed" ? "5.0.0" : action === "delayed" ? "4.0.0" : "2.0.0";
}

/** Header and text values may come from anywhere: no CR, LF or other controls. */
const clean = (s: string) => s.replace(/[\x00-\x1f\x7f]+/g, " ").trim();

const WORDS: Record<DsnAction, { subject: string; text: string }> = {
  failed: { subject: "Undelivered Mail Returned to Sender", text: "Your message could not be delivered to one or more recipients.\r\nIt was given up on; the reasons are below." },
  delayed: { subject: "Delayed Mail (still being retried)", text: "Your message has not been delivered yet to the recipients below.\r\nIt is still being retried; you need not send it again." },
  delivered: { subject: "Successful Mail Delivery Report", text: "Your message was delivered to the mailboxes of the recipients below." },
  expanded: { subject: "Successful Mail Delivery Report", text: "Your message reached the addresses below, which pass it on to several mailboxes\r\n(an alias or list); their deliveries are not reported one by one." },
  relayed: {
    subject: "Successful Mail Delivery Report",
    text: "Your message was handed on to the recipients' mail systems below.\r\nThey do not offer delivery notifications (RFC 3461), so you will hear no more\r\nfrom them about its delivery.",
  },
};

/** One report is about one kind of event: the caller groups recipients by action. */
export function buildDsn(opts: { reportingMta: string; message: DsnSubject; original: Buffer; recipients: DsnRecipient[]; now?: Date }): Buffer {
  const { reportingMta, message: m, recipients } = opts;
  const now = opts.now ?? new Date();
  const action = recipients.some((r) => r.action === "failed") ? "failed" : recipients[0].action;
  const boundary = `dsn-${crypto.randomBytes(12).toString("hex")}`;
  // RFC 3461 4.3: RET says what a failure report returns; other reports carry the header section.
  const full = action === "failed" && (m.ret ?? "").toUpperCase() === "FULL";
  const list = recipients.map((r) => `  <${clean(r.address)}>: ${clean(r.reply)}`).join("\r\n");
  const human = `This is the mail system at ${reportingMta}.\r\n\r\n${WORDS[action].text}\r\n\r\n${list}\r\n`;
  const perMessage = [`Reporting-MTA: dns; ${reportingMta}`];
  if (m.envId) perMessage.push(`Original-Envelope-Id: ${clean(m.envId)}`);
  perMessage.push(`Arrival-Date: ${rfc5322Date(m.createdAt)}`);
  const perRecipient = recipients.map((r) => {
    const f = [`Final-Recipient: rfc822; ${clean(r.address)}`];
    if (r.orcpt) f.push(`Original-Recipient: ${clean(r.orcpt.includes(";") ? r.orcpt : `rfc822;${r.orcpt}`)}`);
    f.push(`Action: ${r.action}`, `Status: ${statusOf(r.reply, r.action)}`);
    if (r.remoteMta) f.push(`Remote-MTA: dns; ${clean(r.remoteMta)}`);
    if (/^[245]\d\d/.test(r.reply.trim())) f.push(`Diagnostic-Code: smtp; ${clean(r.reply)}`);
    f.push(`Last-Attempt-Date: ${rfc5322Date(now)}`);
    return f.join("\r\n");
  });
  const originalHead = headerBlock(opts.original);
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${reportingMta}>`,
    `To: <${clean(m.mailFrom)}>`,
    `Subject: ${WORDS[action].subject}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: ${newMessageIdHeader(reportingMta)}`,
    // RFC 3834 5: automatic replies must not trigger further automatic replies.
    `Auto-Submitted: auto-replied`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ].join("\r\n");
  const parts = [
    `${head}\r\n\r\nThis is a MIME-encapsulated delivery status notification.\r\n`,
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${human}`,
    `--${boundary}\r\nContent-Type: message/delivery-status\r\n\r\n${perMessage.join("\r\n")}\r\n\r\n${perRecipient.join("\r\n\r\n")}\r\n`,
  ];
  const tail = `\r\n--${boundary}--\r\n`;
  const returned = full
    ? Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n`), opts.original, Buffer.from(tail)])
    : Buffer.from(`--${boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n${originalHead}\r\n${tail}`);
  return Buffer.concat([Buffer.from(parts.join("\r\n") + "\r\n"), returned]);
}
