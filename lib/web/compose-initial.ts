/**
 * What the compose page opens with for each of its URLs: new (`?to=`), `?reply=`,
 * `?replyAll=`, `?forward=`, `?forwardAttachment=` and `?draft=`. Every message is read
 * for the signed-in account only; one that is not theirs opens an empty form.
 */
import { getStore, openMessage } from "./mail";
import { forwardedInline, forwardSubject, quoted, replyRecipients, replySubject, withSignature, type Original } from "../compose/reply";
import type { FromChoice } from "../compose/identities";
import { DRAFTS_FOLDER } from "../compose/service";
import { firstParam, type SearchParams } from "./params";

export interface ComposeAttachmentInfo {
  index: number;
  filename: string;
  size: number;
}

export interface ComposeInitial {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  mode: "rich" | "plain";
  html: string;
  text: string;
  parent: string | null;
  forwardAttachment: { id: string; subject: string } | null;
  draftId: string | null;
  attachFrom: string | null;
  attachments: ComposeAttachmentInfo[];
  /** What the page is, for its heading. */
  kind: "new" | "reply" | "replyAll" | "forward" | "draft";
}

const join = (list: string[]) => list.join(", ");
const fmt = (a: { name: string; address: string }) => (a.name ? `${a.name.includes(",") || a.name.includes('"') ? JSON.stringify(a.name) : a.name} <${a.address}>` : a.address);

function blank(from: FromChoice): ComposeInitial {
  const sig = withSignature(from.signature);
  return { from: from.address, to: "", cc: "", bcc: "", subject: "", mode: "rich", html: sig.html ? `<p></p>${sig.html}` : "", text: sig.text, parent: null, forwardAttachment: null, draftId: null, attachFrom: null, attachments: [], kind: "new" };
}

export async function initialCompose(account: { id: string; email: string }, sp: SearchParams, choices: FromChoice[]): Promise<ComposeInitial> {
  const first = choices[0];
  const p = (k: string) => firstParam(sp[k]) ?? "";
  const draftId = p("draft");
  if (draftId) {
    const o = await openMessage(account.id, draftId);
    if (o && o.message.mailboxName === DRAFTS_FOLDER) {
      const r = o.rendered;
      const fromAddr = r.from[0]?.address?.toLowerCase() ?? "";
      const hasHtml = r.html !== null;
      return {
        from: choices.find((c) => c.address === fromAddr)?.address ?? first.address,
        to: join(r.to.map(fmt)),
        cc: join(r.cc.map(fmt)),
        bcc: join(r.bcc.map(fmt)),
        subject: r.subject,
        mode: hasHtml ? "rich" : "plain",
        html: r.html ?? "",
        text: r.text ?? "",
        parent: null,
        forwardAttachment: null,
        draftId: o.message.id,
        attachFrom: o.message.id,
        attachments: r.attachments.filter((a) => !a.inline).map((a) => ({ index: a.index, filename: a.filename, size: a.size })),
        kind: "draft",
      };
    }
  }
  const kind = p("reply") ? "reply" : p("replyAll") ? "replyAll" : p("forward") ? "forward" : p("forwardAttachment") ? "forwardAttachment" : null;
  if (!kind) {
    const init = blank(first);
    const to = p("to").trim();
    if (to && to.length < 1000 && !/[\r\n]/.test(to)) init.to = to.replace(/^mailto:/i, "");
    return init;
  }
  const id = p(kind);
  const o = await openMessage(account.id, id);
  if (!o) return blank(first);
  const { db } = await getStore();
  const row = await db.message.findFirst({ where: { id: o.message.id, accountId: account.id }, select: { messageIdHeader: true, references: true, inReplyTo: true } });
  const r = o.rendered;
  const original: Original = {
    from: r.from,
    replyTo: r.replyTo,
    to: r.to,
    cc: r.cc,
    subject: r.subject || o.message.subject,
    date: r.date,
    messageId: row?.messageIdHeader ?? r.messageId,
    inReplyTo: row?.inReplyTo ?? "",
    references: (row?.references ?? "").split(/\s+/).filter(Boolean),
    text: r.text ?? "",
  };
  // Answer from the address the message was sent to, when that is one of the user's.
  const addressed = new Set([...r.to, ...r.cc].map((a) => a.address.toLowerCase()));
  const from = choices.find((c) => addressed.has(c.address)) ?? first;
  const sig = withSignature(from.signature);
  const base = blank(from);
  if (kind === "reply" || kind === "replyAll") {
    const rcpt = replyRecipients(original, choices.map((c) => c.address), kind === "replyAll");
    const q = quoted(original);
    return { ...base, to: join(rcpt.to), cc: join(rcpt.cc), subject: replySubject(original.subject), html: `<p></p>${sig.html}${q.html}`, text: `${sig.text}${q.text}`, parent: o.message.id, kind };
  }
  if (kind === "forward") {
    const f = forwardedInline(original);
    return {
      ...base,
      subject: forwardSubject(original.subject),
      html: `<p></p>${sig.html}${f.html}`,
      text: `${sig.text}${f.text}`,
      attachFrom: o.message.id,
      attachments: r.attachments.filter((a) => !a.inline).map((a) => ({ index: a.index, filename: a.filename, size: a.size })),
      kind: "forward",
    };
  }
  return {
    ...base,
    subject: forwardSubject(original.subject),
    html: base.html || "<p></p>",
    forwardAttachment: { id: o.message.id, subject: original.subject },
    kind: "forward",
  };
}
