/**
 * Pending sends: messages the webmail has accepted but not yet submitted, held for undo
 * send (a few seconds) or scheduled for later. They are rows (PendingSend) rather than
 * timers, so neither a web nor an engine restart loses one; the engine submits them when
 * due (mail-engine/scheduled-send.ts) through submitMessage, the path every send takes.
 *
 * Exactly once: an engine takes a row by setting a lease (lockedUntil) with a
 * conditional update, so two engines never both send it; the row's id is the queue id of
 * the submission, so a row whose engine crashed after delivering but before deleting it
 * is recognised by its delivered copy and only removed. Undo deletes the row only while
 * no engine holds it.
 */
import type { Db } from "../db/client";
import type { Logger } from "../log";
import { submitMessage, SubmissionRefused, type SubmissionDeps } from "./index";

/** How long an engine holds a row it is submitting; a crashed engine's row is retried after this. */
const LEASE_MS = 60_000;
/** A temporary failure is retried after attempts x this, at most RETRY_MAX_MS. */
const RETRY_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;

export interface PendingSendInput {
  id: string;
  accountId: string;
  sendAt: Date;
  mailFrom: string;
  recipients: string[];
  /** The Bcc recipients among them (named in the Sent copy only). */
  bcc: string[];
  raw: Buffer;
  subject: string;
}

/** A pending send as read back (undo reopens it as a draft). */
export type PendingSendRow = PendingSendInput;

export async function holdForSending(db: Db, p: PendingSendInput): Promise<void> {
  await db.pendingSend.create({
    data: { id: p.id, accountId: p.accountId, sendAt: p.sendAt, mailFrom: p.mailFrom, recipients: JSON.stringify(p.recipients), bcc: JSON.stringify(p.bcc), raw: new Uint8Array(p.raw), subject: p.subject },
  });
}

/** The account's pending sends, soonest first (the web's "Scheduled" list). */
export async function listPending(db: Db, accountId: string) {
  return db.pendingSend.findMany({ where: { accountId }, orderBy: { sendAt: "asc" }, select: { id: true, sendAt: true, subject: true, recipients: true, lastError: true } });
}

/**
 * Takes back one of the account's pending sends before an engine has started on it.
 * Returns the message (to reopen as a draft), or null when it is gone or already leaving.
 */
export async function cancelPending(db: Db, accountId: string, id: string): Promise<PendingSendRow | null> {
  const row = await db.pendingSend.findFirst({ where: { id, accountId } });
  if (!row) return null;
  const now = new Date();
  const { count } = await db.pendingSend.deleteMany({ where: { id, accountId, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] } });
  if (count !== 1) return null;
  return toRow(row);
}

/** The message as its sender's own copy (a draft again): with its Bcc field back (RFC 5322 3.6.3). */
export function withBccField(row: Pick<PendingSendRow, "raw" | "bcc">): Buffer {
  return row.bcc.length ? Buffer.concat([Buffer.from(`Bcc: ${row.bcc.join(", ")}\r\n`), row.raw]) : row.raw;
}

function toRow(r: { id: string; accountId: string; sendAt: Date; mailFrom: string; recipients: string; bcc: string; raw: Uint8Array; subject: string }): PendingSendRow {
  return { id: r.id, accountId: r.accountId, sendAt: r.sendAt, mailFrom: r.mailFrom, recipients: JSON.parse(r.recipients) as string[], bcc: JSON.parse(r.bcc) as string[], raw: Buffer.from(r.raw), subject: r.subject };
}

export interface DueResult {
  sent: string[];
  refused: string[];
  retried: string[];
}

/**
 * Submits up to `limit` pending sends whose time has come. A permanent refusal (5xx: the
 * alias was removed, a recipient no longer exists) puts the message back in the sender's
 * Drafts with \Flagged, so it is not lost; a temporary one is retried later.
 */
export async function sendDue(deps: SubmissionDeps & { log: Logger }, limit = 20): Promise<DueResult> {
  const { db, log } = deps;
  const now = new Date();
  const due = await db.pendingSend.findMany({
    where: { sendAt: { lte: now }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    orderBy: { sendAt: "asc" },
    take: limit,
    select: { id: true },
  });
  const out: DueResult = { sent: [], refused: [], retried: [] };
  for (const { id } of due) {
    const taken = await db.pendingSend.updateMany({
      where: { id, OR: [{ lockedUntil: null }, { lockedUntil: { lt: new Date() } }] },
      data: { lockedUntil: new Date(Date.now() + LEASE_MS), attempts: { increment: 1 } },
    });
    if (taken.count !== 1) continue; // another engine has it, or it was undone
    const stored = await db.pendingSend.findUnique({ where: { id } });
    if (!stored) continue;
    const row = toRow(stored);
    const account = await db.account.findUnique({ where: { id: row.accountId }, select: { id: true, email: true, disabled: true } });
    try {
      if (!account || account.disabled) throw new SubmissionRefused(550, "5.7.1", "the sending account is disabled");
      // Delivered before a crash left the row behind: the copy with this queue id says so.
      const already = (await db.message.count({ where: { queueId: id } })) + (await db.outboundMessage.count({ where: { id } }));
      if (already === 0) await submitMessage(deps, { account, raw: row.raw, mailFrom: row.mailFrom, recipients: row.recipients, bcc: row.bcc, sentCopy: true, queueId: id, via: "webmail" });
      await db.pendingSend.delete({ where: { id } });
      out.sent.push(id);
      log.info("pending_send.sent", { msgId: id, user: account.email, late: now.getTime() - row.sendAt.getTime() });
    } catch (err) {
      if (err instanceof SubmissionRefused && err.code >= 500) {
        if (account) await deps.store.append({ accountId: account.id, mailbox: "Drafts", raw: withBccField(row), flags: ["draft", "seen", "flagged"] }).catch(() => undefined);
        await db.pendingSend.delete({ where: { id } });
        out.refused.push(id);
        log.warn("pending_send.refused", { msgId: id, user: account?.email, detail: `${err.code} ${err.enhanced} ${err.message}` });
      } else {
        const attempts = Number(stored.attempts);
        await db.pendingSend.update({ where: { id }, data: { lockedUntil: new Date(Date.now() + Math.min(RETRY_MAX_MS, attempts * RETRY_MS)), lastError: String((err as Error)?.message ?? err).slice(0, 500) } });
        out.retried.push(id);
        log.error("pending_send.failed", { msgId: id, error: err, attempts });
      }
    }
  }
  return out;
}
