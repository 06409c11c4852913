/**
 * The webmail's writing side on the server: saving a draft, sending (held for undo send
 * or scheduled), taking a send back. Every message it refers to (the one replied to or
 * forwarded, the draft being replaced) is looked up for the signed-in account only; every
 * mailbox change goes through the store; every send through lib/submission.
 */
import type { Db } from "../db/client";
import type { MailStore } from "../store";
import type { Config } from "../config";
import { newQueueId } from "../domain/ids";
import { openAttachment } from "../web/mail";
import { getMessage } from "../store/read";
import { buildMessage, type ComposeAttachment, type ComposeInput } from "./build";
import { threadingFor } from "./reply";
import { checkSubmission, submitMessage, SubmissionRefused } from "../submission";
import { cancelPending, holdForSending, withBccField } from "../submission/pending";
import { fromChoices } from "./identities";
import type { Logger } from "../log";

export const DRAFTS_FOLDER = "Drafts";
/** A scheduled send more than this far ahead is refused (a typo in the year, not a plan). */
const MAX_SCHEDULE_MS = 366 * 24 * 3600_000;

export interface ComposeFields {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  mode: "rich" | "plain";
  html: string;
  text: string;
  /** The message replied to (its id in our store). */
  parent: string | null;
  /** A message forwarded as an attachment. */
  forwardAttachment: string | null;
  /** The draft this replaces. */
  draftId: string | null;
  /** A message (the draft being replaced, a message forwarded inline) whose attachments `keep` names. */
  attachFrom: string | null;
  /** Attachments of attachFrom to include (their indices). */
  keep: number[];
  files: ComposeAttachment[];
  /** Scheduled send; null = now (after the undo delay). */
  sendAt: Date | null;
}

export interface ComposeDeps {
  config: Config;
  db: Db;
  store: MailStore;
  log: Logger;
}

type Account = { id: string; email: string };

async function assemble(deps: ComposeDeps, account: Account, f: ComposeFields, keepBcc: boolean): Promise<ComposeInput> {
  const { db, store, config } = deps;
  const choices = await fromChoices(db, account);
  const from = choices.find((c) => c.address === f.from.trim().toLowerCase());
  // Not one of the user's addresses: submission refuses it with its reason (553 5.7.1).
  const fromAddr = from ?? { address: f.from.trim(), name: "" };
  let threading: { inReplyTo: string; references: string[] } | null = null;
  if (f.parent) {
    const p = await db.message.findFirst({ where: { id: f.parent, accountId: account.id }, select: { messageIdHeader: true, references: true, inReplyTo: true } });
    if (p) threading = threadingFor({ messageId: p.messageIdHeader, references: p.references.split(/\s+/).filter(Boolean), inReplyTo: p.inReplyTo });
  } else if (f.draftId) {
    const d = await db.message.findFirst({ where: { id: f.draftId, accountId: account.id }, select: { references: true, inReplyTo: true } });
    if (d?.inReplyTo) threading = { inReplyTo: d.inReplyTo, references: d.references.split(/\s+/).filter(Boolean) };
  }
  const attachments = [...f.files];
  if (f.attachFrom) {
    for (const i of f.keep) {
      const a = await openAttachment(account.id, f.attachFrom, i);
      if (a) attachments.push({ filename: a.filename, contentType: a.contentType, content: a.content });
    }
  }
  let forwarded: ComposeInput["forwarded"] = null;
  if (f.forwardAttachment) {
    const m = await getMessage(db, account.id, f.forwardAttachment);
    if (m) forwarded = { filename: `${(m.subject || "message").replace(/[\\/:*?"<>|\x00-\x1f]+/g, " ").trim().slice(0, 80) || "message"}.eml`, raw: await store.blobs.get(m.blobHash) };
  }
  return {
    from: { address: fromAddr.address, name: fromAddr.name },
    to: f.to,
    cc: f.cc,
    bcc: f.bcc,
    subject: f.subject,
    html: f.mode === "rich" ? f.html : null,
    text: f.text,
    inReplyTo: threading?.inReplyTo,
    references: threading?.references,
    attachments,
    forwarded,
    keepBcc,
    hostname: config.hostname,
  };
}

function size(files: ComposeAttachment[]): number {
  return files.reduce((n, a) => n + a.content.length, 0);
}

/** Removes the account's draft `id` (an older version, or the one just sent). */
async function dropDraft(deps: ComposeDeps, account: Account, id: string | null): Promise<void> {
  if (!id) return;
  const d = await deps.db.message.findFirst({ where: { id, accountId: account.id, mailbox: { name: DRAFTS_FOLDER } }, select: { mailboxId: true } });
  if (d) await deps.store.expunge({ accountId: account.id, mailboxId: d.mailboxId, messageIds: [id], onlyDeleted: false });
}

/**
 * Saves a draft as a new message in Drafts (\Draft \Seen), then removes the version it
 * replaces: an IMAP client sees each save as a new UID, as with Thunderbird's own drafts.
 */
export async function saveDraft(deps: ComposeDeps, account: Account, f: ComposeFields): Promise<{ draftId: string }> {
  if (size(f.files) > deps.config.maxMessageSize) throw new SubmissionRefused(552, "5.3.4", `Attachments exceed the limit of ${deps.config.maxMessageSize} bytes`);
  const built = await buildMessage(await assemble(deps, account, f, true));
  const d = await deps.store.append({ accountId: account.id, mailbox: DRAFTS_FOLDER, raw: built.raw, flags: ["draft", "seen"] });
  await dropDraft(deps, account, f.draftId);
  return { draftId: d.messageId };
}

export interface SendOutcome {
  /** The pending send (undo or scheduled); null when it left at once. */
  pendingId: string | null;
  sendAt: string | null;
  queueId: string;
}

/**
 * Sends: the sender and recipients are checked now (the user sees a refusal at once),
 * then the message is held as a pending send until the undo delay or the scheduled time
 * has passed, when the engine submits it; with no delay it is submitted here.
 */
export async function sendComposed(deps: ComposeDeps, account: Account, f: ComposeFields): Promise<SendOutcome> {
  const built = await buildMessage(await assemble(deps, account, f, false));
  const mailFrom = f.from.trim().toLowerCase();
  const recipients = [...f.to, ...f.cc, ...f.bcc].map(envelopeAddress).filter(Boolean);
  const bcc = f.bcc.map(envelopeAddress).filter(Boolean);
  await checkSubmission(deps, { account, raw: built.raw, mailFrom, recipients });
  const settings = await deps.db.account.findUnique({ where: { id: account.id }, select: { undoSendSeconds: true } });
  const delay = Math.max(0, settings?.undoSendSeconds ?? 10) * 1000;
  if (f.sendAt && (f.sendAt.getTime() - Date.now() > MAX_SCHEDULE_MS || Number.isNaN(f.sendAt.getTime()))) throw new SubmissionRefused(501, "5.5.4", "The scheduled time is too far ahead");
  const sendAt = f.sendAt && f.sendAt.getTime() > Date.now() + delay ? f.sendAt : delay ? new Date(Date.now() + delay) : null;
  const queueId = newQueueId();
  if (sendAt) {
    await holdForSending(deps.db, { id: queueId, accountId: account.id, sendAt, mailFrom, recipients, bcc, raw: built.raw, subject: f.subject });
    deps.log.info("pending_send.held", { msgId: queueId, user: account.email, sendAt: sendAt.toISOString(), scheduled: !!f.sendAt });
  } else {
    await submitMessage(deps, { account, raw: built.raw, mailFrom, recipients, bcc, sentCopy: true, queueId, via: "webmail" });
  }
  if (f.parent) await markAnswered(deps, account, f.parent);
  await dropDraft(deps, account, f.draftId);
  return { pendingId: sendAt ? queueId : null, sendAt: sendAt?.toISOString() ?? null, queueId };
}

async function markAnswered(deps: ComposeDeps, account: Account, id: string): Promise<void> {
  const m = await deps.db.message.findFirst({ where: { id, accountId: account.id }, select: { mailboxId: true } });
  if (m) await deps.store.setFlags({ accountId: account.id, mailboxId: m.mailboxId, messageIds: [id], mode: "add", flags: ["answered"] });
}

/** Undo send: takes the pending send back and reopens it as a draft; null when it already left. */
export async function undoSend(deps: ComposeDeps, account: Account, id: string): Promise<{ draftId: string } | null> {
  const row = await cancelPending(deps.db, account.id, id);
  if (!row) return null;
  const d = await deps.store.append({ accountId: account.id, mailbox: DRAFTS_FOLDER, raw: withBccField(row), flags: ["draft", "seen"] });
  deps.log.info("pending_send.undone", { msgId: id, user: account.email });
  return { draftId: d.messageId };
}

/** "Name <a@b>" or "a@b" to the bare address. */
export function envelopeAddress(entry: string): string {
  const m = /<([^<>]+)>\s*$/.exec(entry);
  return (m ? m[1] : entry).trim();
}
