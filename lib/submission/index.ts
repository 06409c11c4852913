/**
 * Message submission (RFC 6409) for a whole message at hand: the web's send, and the
 * engine's pending sends (undo send, scheduled send). SMTP submission streams DATA and
 * runs the same rules from mail-engine/smtp (sender-headers.ts and completeHeaders here,
 * mayUseSender and resolveRecipient in lib/routing), so every path refuses the same
 * senders with the same codes.
 *
 *  - the envelope sender and every author field (From, Sender, Resent-From) must be the
 *    account's address, a +tag form of it or an alias delivering to it (553 5.7.1);
 *  - a missing Date or Message-ID is added (RFC 6409 8.2, 8.3);
 *  - local recipients get the message at once, remote ones go to the outbound queue, and
 *    the web's copy in Sent (\Seen), all in the store's one delivery transaction: the
 *    message is either sent and filed, or nothing happened.
 */
import type { Config } from "../config";
import type { Db } from "../db/client";
import { newQueueId } from "../domain/ids";
import { headerValues, rfc5322Date } from "../mime/headers";
import { completeHeaders } from "./headers";
import { mayUseSender, resolveRecipient, type DirectoryLookup } from "../routing/resolve";
import type { Logger } from "../log";
import type { Delivered, DeliveryTarget, MailStore } from "../store";
import { checkSenderHeaders } from "./sender-headers";

/** Most recipients of one message (RFC 5321 4.5.3.1.8 asks for at least 100; SMTP takes the same). */
export const MAX_RECIPIENTS = 100;
export const SENT_FOLDER = "Sent";

/** A refusal with the SMTP reply SMTP submission would give for the same fault. */
export class SubmissionRefused extends Error {
  constructor(
    readonly code: number,
    readonly enhanced: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SubmitRequest {
  account: { id: string; email: string };
  /** The message with CRLF line endings and no Bcc field. */
  raw: Buffer;
  mailFrom: string;
  /** Envelope recipients: To, Cc and Bcc. */
  recipients: string[];
  /** The Bcc recipients among them: named in the Sent copy only (RFC 5322 3.6.3). */
  bcc?: string[];
  /** File a \Seen copy in the account's Sent folder (the web; SMTP clients save their own). */
  sentCopy: boolean;
  /** The queue id to use (a pending send keeps its own); a new one when absent. */
  queueId?: string;
  /** Where it came from, for the Received field and the delivery log ("webmail", "scheduled"). */
  via: string;
}

export interface SubmitResult {
  queueId: string;
  /** The Message-ID field of the message as sent. */
  messageId: string;
  local: string[];
  remote: string[];
  /** The Sent copy, when one was asked for. */
  sent: Delivered | null;
}

export interface SubmissionDeps {
  config: Config;
  db: Db;
  store: MailStore;
  lookup?: DirectoryLookup | null;
  log?: Logger;
}

/** Checks the sender and recipients only (the web's "Send" before it holds a message for undo). */
export async function checkSubmission(deps: SubmissionDeps, req: Omit<SubmitRequest, "queueId" | "via" | "sentCopy">): Promise<{ targets: DeliveryTarget[]; local: string[]; remote: string[] }> {
  const { config, db } = deps;
  if (req.raw.length > config.maxMessageSize) throw new SubmissionRefused(552, "5.3.4", `Message size ${req.raw.length} exceeds the limit of ${config.maxMessageSize} bytes`);
  if (!(await mayUseSender(db, req.account, req.mailFrom))) throw new SubmissionRefused(553, "5.7.1", `Sender address <${req.mailFrom}> is not yours to send as (${req.account.email})`);
  const end = req.raw.indexOf("\r\n\r\n");
  const refused = await checkSenderHeaders(end < 0 ? req.raw : req.raw.subarray(0, end + 2), (addr) => mayUseSender(db, req.account, addr));
  if (refused) throw new SubmissionRefused(refused.code, refused.enhanced, refused.message);
  const recipients = [...new Set(req.recipients.map((r) => r.trim()).filter(Boolean))];
  if (recipients.length === 0) throw new SubmissionRefused(554, "5.5.1", "No recipients");
  if (recipients.length > MAX_RECIPIENTS) throw new SubmissionRefused(452, "4.5.3", `Too many recipients: at most ${MAX_RECIPIENTS}`);
  const targets = new Map<string, DeliveryTarget>();
  const local: string[] = [];
  const remote = new Set<string>();
  for (const address of recipients) {
    const r = await resolveRecipient(deps.lookup ?? db, address);
    switch (r.kind) {
      case "invalid":
        throw new SubmissionRefused(501, "5.1.3", `Bad recipient address syntax: ${address}`);
      case "unknown":
        throw new SubmissionRefused(550, "5.1.1", `No such user here: <${address}>`);
      case "disabled":
        throw new SubmissionRefused(550, "5.2.1", `Mailbox disabled: <${address}>`);
      case "remote":
        remote.add(r.address);
        break;
      case "local":
        for (const a of r.accounts) if (!targets.has(a.id)) targets.set(a.id, { accountId: a.id, recipient: a.email });
        for (const f of r.forwards) remote.add(f);
        local.push(address);
    }
  }
  return { targets: [...targets.values()], local, remote: [...remote] };
}

/** Submits one message: checks, completes, delivers locally, queues remote recipients, files the Sent copy. */
export async function submitMessage(deps: SubmissionDeps, req: SubmitRequest): Promise<SubmitResult> {
  const { config, store } = deps;
  const routed = await checkSubmission(deps, req);
  const queueId = req.queueId ?? newQueueId();
  const end = req.raw.indexOf("\r\n\r\n");
  const extra = completeHeaders(end < 0 ? req.raw : req.raw.subarray(0, end + 2), config.hostname);
  // One blob for the local copies and the queue: the queue skips the Return-Path line, as SMTP's does.
  const returnPath = Buffer.from(`Return-Path: <${req.mailFrom}>\r\n`);
  const received = `Received: from ${req.via} (authenticated user ${req.account.email})\r\n\tby ${config.hostname} (mail-suite)\r\n\tid ${queueId}; ${rfc5322Date()}\r\n`;
  const raw = Buffer.concat([returnPath, Buffer.from(received + extra), req.raw]);
  const targets: DeliveryTarget[] = [...routed.targets];
  // An account whose Sent folder was deleted still sends; it just keeps no copy.
  const sentBox = req.sentCopy ? await deps.db.mailbox.findFirst({ where: { accountId: req.account.id, name: SENT_FOLDER }, select: { id: true } }) : null;
  const sentTarget: DeliveryTarget = { accountId: req.account.id, mailbox: SENT_FOLDER, flags: { seen: true } };
  // Without Bcc the Sent copy shares the recipients' blob and transaction; with Bcc it is
  // its own message (the recipients' copy must not name them), filed right after.
  const bcc = req.bcc?.filter((b) => /^[^\s<>,;]+@[^\s<>,;]+$/.test(b)) ?? [];
  if (sentBox && bcc.length === 0) targets.push(sentTarget);
  const delivered = await store.deliver({
    raw,
    queueId,
    targets,
    queue: routed.remote.length ? { mailFrom: req.mailFrom, accountId: req.account.id, recipients: routed.remote, bodyOffset: returnPath.length } : undefined,
    receivedFrom: `${req.via} user=${req.account.email} mail from=<${req.mailFrom}>`,
    quota: "grace",
  });
  if (sentBox && bcc.length) {
    const own = Buffer.concat([Buffer.from(received + extra + `Bcc: ${bcc.join(", ")}\r\n`), req.raw]);
    delivered.push(...(await store.deliver({ raw: own, queueId, targets: [sentTarget], quota: "grace", event: "appended" })));
  }
  const sent = sentBox ? (delivered.find((d) => d.mailboxId === sentBox.id) ?? null) : null;
  const messageId = (headerValues(raw, "message-id")[0] ?? "").trim();
  deps.log?.info("submission.accepted", { msgId: queueId, via: req.via, user: req.account.email, from: req.mailFrom, to: routed.local, remote: routed.remote, size: raw.length });
  return { queueId, messageId, local: routed.local, remote: routed.remote, sent };
}
