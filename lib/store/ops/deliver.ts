/**
 * The delivery transaction, the one routine every message takes into a mailbox: SMTP
 * (MX and submission), IMAP APPEND and the web app (saving a draft, a sent copy). Run
 * by a driver (lib/store/runner.ts) inside a transaction: on SQLite in the engine's
 * writer thread with group commit, elsewhere one transaction per call.
 *
 * Targets are sorted (account, folder) before any row is touched, so that two messages
 * to {alice, bob} and {bob, alice} lock rows in the same order and never deadlock on
 * PostgreSQL. Mailbox counters, the account's used bytes and the blob's reference count
 * are kept by triggers in the same transaction (see prisma/migrations/*\/0002_*).
 */
import fs from "node:fs";
import { createId } from "../../domain/ids";
import type { MessageSummary } from "../../mime/summary";
import { StoreError } from "../errors";
import { recordChange } from "../journal";
import { INBOX } from "../mailboxes";
import type { SearchText } from "../../mime/search-text";
import { indexBlobText } from "../search-index";
import { senderSortKey, subjectSortKey } from "../sort-keys";
import { renderingOf, writeImapRendering, type ImapRendering } from "../imap-cache";
import { readStructure } from "../parse";
import { inList, type StoreTx } from "../tx";
import { normaliseKeywords, rememberKeywords, writeKeywordIndex, type SystemFlags } from "./flags";

export interface DeliveryTarget {
  accountId: string;
  /** Folder name; the Inbox when absent. */
  mailbox?: string;
  /** The address the message was sent to, for the delivery log. */
  recipient?: string;
  flags?: Partial<SystemFlags>;
  keywords?: string[];
}

/** A blob as deliver() hands it over: stored (a file, fsynced) or to be stored in its row. */
export interface StoredBlob {
  hash: string;
  size: number;
  /** Bytes to keep in the Blob row; null when they are in a file. */
  inlineData: Buffer | null;
  /** The file of a file-tier blob, checked under the transaction's lock (a sweep may race). */
  file?: string | null;
  /** JSON of the MIME structure and envelope (lib/mime), stored once per blob. */
  structure?: string | null;
  /** IMAP ENVELOPE and BODYSTRUCTURE (imap-cache.ts); rendered from `structure` here when absent. */
  imap?: ImapRendering | null;
  /** The words for SEARCH TEXT/BODY, indexed once per blob (search-index.ts); absent: not indexed (search scans it). */
  text?: SearchText | null;
}

export interface QueueRows {
  mailFrom: string;
  accountId: string | null;
  recipients: string[];
  /** Leading bytes of the blob not to send (the local copy's Return-Path line). */
  bodyOffset: number;
  /** A delivery status notification (RFC 3464): never answered by another one. */
  isDsn?: boolean;
  /** RFC 3461 ENVID and RET of the MAIL command. */
  envId?: string | null;
  ret?: string | null;
  /** RFC 3461 NOTIFY and ORCPT of each recipient that had them, by address. */
  recipientDsn?: Record<string, { notify: string | null; orcpt: string | null }>;
}

export interface DeliverArgs {
  queueId: string;
  blob: StoredBlob;
  summary: MessageSummary | null;
  targets: DeliveryTarget[];
  queue: QueueRows | null;
  internalDate: Date;
  /** Where the message came from, for the delivery log's "received" line. */
  receivedFrom?: string;
  /**
   * "strict": refuse a target whose account would exceed its quota (IMAP APPEND, web).
   * "grace": SMTP already refused full mailboxes at RCPT on the declared size; at DATA a
   * target may go up to 10% over (as Dovecot's quota_grace) before the message is refused.
   */
  quota: "strict" | "grace";
  /** Delivery log event for each target ("delivered" for SMTP, "appended" for IMAP/web). */
  event?: string;
}

export interface Delivered {
  accountId: string;
  mailboxId: string;
  messageId: string;
  uid: number;
  uidValidity: number;
  modSeq: string;
}

const QUOTA_GRACE = 1.1;

export async function deliverRows(tx: StoreTx, d: DeliverArgs): Promise<Delivered[]> {
  const s = d.summary;
  if (d.targets.length && !s) throw new Error(`delivery ${d.queueId} has targets but no summary`);
  const now = new Date();
  // The blob first: its row lock is taken before any mailbox's, by every delivery alike.
  await tx.run(
    `INSERT INTO "Blob" ("hash", "size", "data", "structure", "refCount", "createdAt") VALUES ($1, $2, $3, $4, 0, $5)
     ON CONFLICT ("hash") DO UPDATE SET "data" = COALESCE("Blob"."data", excluded."data"), "structure" = COALESCE("Blob"."structure", excluded."structure")`,
    [d.blob.hash, d.blob.size, d.blob.inlineData, d.blob.structure ?? null, now],
  );
  if (!d.blob.inlineData && d.blob.file && !fs.existsSync(d.blob.file)) {
    const row = await tx.get<{ has: number }>(`SELECT CASE WHEN "data" IS NULL THEN 0 ELSE 1 END AS "has" FROM "Blob" WHERE "hash" = $1`, [d.blob.hash]);
    if (!row || !Number(row.has)) throw new StoreError("blob-missing", `blob ${d.blob.hash} was removed by a concurrent sweep; try again`);
  }
  // --- search index (lib/store/search-index.ts): with the Blob row, in the same transaction.
  if (d.targets.length) await indexBlobText(tx, d.blob.hash, d.blob.text ?? null);
  // --- end search index
  if (d.targets.length) {
    const imap = d.blob.imap ?? renderingOf(d.blob.structure);
    if (imap) await writeImapRendering(tx, d.blob.hash, imap);
  }

  const fromExtra = s ? fromSearchExtra(s, d.blob.structure) : "";
  const targets = sortTargets(d.targets);
  const out: Delivered[] = [];
  const threads = new Map<string, string>();
  const quotaChecked = new Map<string, boolean>();
  const gone: DeliveryTarget[] = [];
  for (const t of targets) {
    if (!s) break;
    const name = t.mailbox ?? INBOX;
    if (!quotaChecked.has(t.accountId)) {
      const acc = await tx.get<{ quotaBytes: number | string; usedBytes: number | string }>(`SELECT "quotaBytes", "usedBytes" FROM "Account" WHERE "id" = $1`, [t.accountId]);
      if (!acc) {
        // Removed since the recipient was accepted: the others still get the message.
        gone.push(t);
        continue;
      }
      const quota = Number(acc.quotaBytes);
      const need = d.blob.size * targets.filter((x) => x.accountId === t.accountId).length;
      if (quota > 0 && Number(acc.usedBytes) + need > quota * (d.quota === "grace" ? QUOTA_GRACE : 1)) {
        throw new StoreError("over-quota", `mailbox of ${t.recipient ?? t.accountId} is full (${acc.usedBytes} of ${quota} bytes used)`);
      }
      quotaChecked.set(t.accountId, true);
    }
    const mb = await tx.get<{ id: string; uidNext: number; highestModSeq: number | string; uidValidity: number }>(
      `UPDATE "Mailbox" SET "uidNext" = "uidNext" + 1, "highestModSeq" = "highestModSeq" + 1 WHERE "accountId" = $1 AND "name" = $2 RETURNING "id", "uidNext", "highestModSeq", "uidValidity"`,
      [t.accountId, name],
    );
    if (!mb) throw new StoreError("no-mailbox", `account ${t.recipient ?? t.accountId} has no folder ${name}`);
    if (!threads.has(t.accountId)) threads.set(t.accountId, await findThread(tx, t.accountId, s));
    const id = createId();
    const uid = Number(mb.uidNext) - 1;
    const modSeq = BigInt(mb.highestModSeq);
    const keywords = normaliseKeywords(t.keywords ?? []);
    const f = t.flags ?? {};
    await tx.run(
      `INSERT INTO "Message" ("id", "mailboxId", "accountId", "uid", "modSeq", "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords",
        "fromAddress", "fromName", "toAddresses", "ccAddresses", "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId", "sortFrom", "sortSubject", "fromExtra")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)`,
      [
        id, mb.id, t.accountId, uid, modSeq, d.blob.hash, d.blob.size, d.internalDate,
        !!f.seen, !!f.answered, !!f.flagged, !!f.deleted, !!f.draft, keywords.join(" "),
        s.fromAddress, s.fromName, JSON.stringify(s.to), JSON.stringify(s.cc), s.subject, s.sentDate ?? null,
        s.messageId, s.inReplyTo, s.references.join(" "), s.snippet, s.hasAttachments, threads.get(t.accountId) || id, d.queueId,
        senderSortKey(s.fromName, s.fromAddress), subjectSortKey(s.subject), fromExtra,
      ],
    );
    if (keywords.length) {
      await writeKeywordIndex(tx, mb.id, id, keywords, []);
      await rememberKeywords(tx, mb.id, keywords);
    }
    await recordChange(tx, { accountId: t.accountId, mailboxId: mb.id, modSeq, kind: "append", uids: [uid] });
    out.push({ accountId: t.accountId, mailboxId: mb.id, messageId: id, uid, uidValidity: Number(mb.uidValidity), modSeq: modSeq.toString() });
  }

  if (gone.length && gone.length === targets.length && !d.queue?.recipients.length) {
    throw new StoreError("no-account", `account ${gone[0].recipient ?? gone[0].accountId} does not exist`);
  }
  if (d.queue && d.queue.recipients.length) {
    await tx.run(`INSERT INTO "OutboundMessage" ("id", "accountId", "mailFrom", "blobHash", "bodyOffset", "size", "isDsn", "envId", "ret", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      d.queueId, d.queue.accountId, d.queue.mailFrom, d.blob.hash, d.queue.bodyOffset, d.blob.size - d.queue.bodyOffset, d.queue.isDsn ?? false, d.queue.envId ?? null, d.queue.ret ?? null, now,
    ]);
    for (const a of d.queue.recipients) {
      const dsn = d.queue.recipientDsn && Object.hasOwn(d.queue.recipientDsn, a) ? d.queue.recipientDsn[a] : undefined;
      await tx.run(
        `INSERT INTO "OutboundRecipient" ("id", "messageId", "address", "domain", "status", "attempts", "nextAttemptAt", "lastReply", "delayNotified", "notify", "orcpt", "createdAt") VALUES ($1, $2, $3, $4, 'queued', 0, $5, '', $6, $7, $8, $5)`,
        [createId(), d.queueId, a, a.slice(a.lastIndexOf("@") + 1), now, false, dsn?.notify ?? null, dsn?.orcpt ?? null],
      );
    }
  }
  const event = d.event ?? "delivered";
  const logs: Array<[string, string, string]> = [];
  if (d.receivedFrom) logs.push(["", "received", d.receivedFrom]);
  for (const t of targets) logs.push(gone.includes(t) ? [t.recipient ?? "", "failed", "account removed before delivery"] : [t.recipient ?? "", event, `to ${t.mailbox ?? INBOX}`]);
  if (d.queue) for (const r of d.queue.recipients) logs.push([r, "queued", "for remote delivery"]);
  // One statement for all of them (one round trip on PostgreSQL).
  if (logs.length) {
    const values = logs.map((_, i) => `($${i * 4 + 3}, $1, $${i * 4 + 4}, $${i * 4 + 5}, $${i * 4 + 6}, '', '', $2)`).join(", ");
    await tx.run(`INSERT INTO "DeliveryLog" ("id", "queueId", "recipient", "event", "detail", "remoteHost", "tls", "createdAt") VALUES ${values}`, [
      d.queueId, now, ...logs.flatMap(([recipient, ev, detail]) => [createId(), recipient, ev, detail]),
    ]);
  }
  return out;
}

/** One entry per (account, folder), in a fixed order: the lock order on PostgreSQL. */
export function sortTargets(targets: DeliveryTarget[]): DeliveryTarget[] {
  const seen = new Set<string>();
  const key = (t: DeliveryTarget) => `${t.accountId}\u0000${t.mailbox ?? INBOX}`;
  return targets
    .filter((t) => {
      const k = key(t);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The thread of the message this one answers: the parent named by In-Reply-To, else the
 * nearest ancestor in References (the last one first), among the account's messages.
 */
/**
 * What SEARCH FROM matches besides the first author's columns (Message.fromExtra): the
 * other authors, or, for a From the parser found no address in (a group, garbage), the
 * header as written, from the stored envelope. Kept on the row so FROM never reads Blob.
 */
function fromSearchExtra(s: MessageSummary, structure: string | null | undefined): string {
  if (s.fromAddress) return s.fromOthers ?? "";
  return readStructure(structure)?.envelope.from ?? "";
}

async function findThread(tx: StoreTx, accountId: string, s: MessageSummary): Promise<string> {
  const wanted = [s.inReplyTo, ...s.references.slice().reverse()].filter(Boolean);
  if (wanted.length === 0) return "";
  const rows = await tx.all<{ messageIdHeader: string; threadId: string }>(
    `SELECT "messageIdHeader", "threadId" FROM "Message" WHERE "accountId" = $1 AND "messageIdHeader" ${inList(tx, 2)} AND "threadId" != ''`,
    [accountId, wanted.slice(0, 50)],
  );
  const by = new Map(rows.map((r) => [r.messageIdHeader, r.threadId]));
  for (const w of wanted) if (by.has(w)) return by.get(w)!;
  return "";
}

/** Several messages in one transaction, each to its one target (IMAP MULTIAPPEND, RFC 3502): all stored, or none. */
export async function appendAll(tx: StoreTx, a: { items: DeliverArgs[] }): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const item of a.items) {
    const [d] = await deliverRows(tx, item);
    if (!d) throw new StoreError("no-mailbox", `no such folder: ${item.targets[0]?.mailbox ?? INBOX}`);
    out.push(d);
  }
  return out;
}
