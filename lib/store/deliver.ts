/**
 * The one way a message enters a mailbox: SMTP (MX and submission), and later IMAP
 * APPEND and the web app, all call deliver(). The blob is made durable first, then one
 * database transaction assigns each target its UID and MODSEQ, writes the message
 * entries, counts the bytes against each account and records the delivery. When
 * deliver() resolves, the message is on disk; when it throws, no row was written.
 */
import { createId } from "../domain/ids";
import type { Db } from "../db/client";
import type { BlobRef, BlobStore } from "./blob-store";
import type { MessageSummary } from "../mime/summary";
import { summarise } from "../mime/summary-lazy";
import { INBOX } from "./mailboxes";

/** What deliver() hands a RowWriter: the blobs are stored (or inline), the rows not yet written. */
export interface PreparedDelivery {
  queueId: string;
  blob: BlobRef | null;
  queueBlob: BlobRef | null;
  summary: MessageSummary | null;
  targets: DeliveryTarget[];
  queue: QueueRequest | null;
  internalDate: Date;
  receivedFrom?: string;
}

/**
 * A faster writer of the same rows than Prisma: the engine's SQLite writer thread
 * (which, when `d.summary` is null, parses it from `d.blob.inlineData` itself: one
 * hand-off to the thread, not two) or its PostgreSQL writer.
 */
export interface RowWriter {
  /** Whether write() parses a missing summary from d.blob.inlineData. */
  readonly parsesSummaries: boolean;
  write(d: PreparedDelivery): Promise<Delivered[]>;
}

/** Where summaries are parsed when the caller has none (the engine's MIME worker). */
export interface Summariser {
  summarise(raw: Buffer): Promise<MessageSummary>;
}

export interface DeliverOptions {
  /** The engine's fast path (sqlite-writer.ts, pg-writer.ts); without it the rows go through Prisma. */
  writer?: RowWriter | null;
  /** Parses summaries off the calling thread; in-process when absent. */
  summaries?: Summariser | null;
}

export interface DeliveryTarget {
  accountId: string;
  /** Folder name; the Inbox when absent. */
  mailbox?: string;
  /** The address the message was sent to, for the delivery log. */
  recipient?: string;
  flags?: Partial<Record<"seen" | "answered" | "flagged" | "draft", boolean>>;
}

/** Remote recipients of the same message, queued in the same transaction. */
export interface QueueRequest {
  /** The bytes to send (may differ from the local copy: no Return-Path). */
  raw: Buffer;
  mailFrom: string;
  accountId: string | null;
  recipients: string[];
}

export interface DeliveryRequest {
  raw: Buffer;
  queueId: string;
  targets: DeliveryTarget[];
  queue?: QueueRequest;
  /** Where the message came from, for the delivery log's "received" line. */
  receivedFrom?: string;
  internalDate?: Date;
  /** Already parsed summary, when the caller has one. */
  summary?: MessageSummary;
}

export interface Delivered {
  accountId: string;
  mailboxId: string;
  messageId: string;
  uid: number;
}

export async function deliver(db: Db, blobs: BlobStore, req: DeliveryRequest, opts: DeliverOptions = {}): Promise<Delivered[]> {
  const { writer, summaries } = opts;
  const queued = req.queue && req.queue.recipients.length ? req.queue : null;
  if (req.targets.length === 0 && !queued) return [];
  const [blob, queueBlob] = await Promise.all([
    req.targets.length ? blobs.put(req.raw) : null,
    queued && (req.targets.length === 0 || !queued.raw.equals(req.raw)) ? blobs.put(queued.raw) : null,
  ]);
  const qBlob = queued ? (queueBlob ?? blob) : null;
  let summary = req.summary ?? null;
  const writerParses = !!writer?.parsesSummaries && !!blob?.inlineData;
  if (!summary && req.targets.length && !writerParses) summary = await (summaries ?? { summarise }).summarise(req.raw);
  if (writer) {
    return writer.write({ queueId: req.queueId, blob, queueBlob: qBlob, summary, targets: req.targets, queue: queued, internalDate: req.internalDate ?? new Date(), receivedFrom: req.receivedFrom });
  }
  return deliverWithPrisma(db, req, summary, blob, qBlob, queued);
}

async function deliverWithPrisma(db: Db, req: DeliveryRequest, summary: MessageSummary | null, blob: BlobRef | null, queueBlob: BlobRef | null, queued: QueueRequest | null): Promise<Delivered[]> {
  const threadIds = new Map<string, string>();
  for (const accountId of new Set(req.targets.map((t) => t.accountId))) {
    threadIds.set(accountId, await findThreadId(db, accountId, summary!));
  }
  const internalDate = req.internalDate ?? new Date();
  const common = summary && blob && {
    blobHash: blob.hash,
    size: blob.size,
    internalDate,
    fromAddress: summary.fromAddress,
    fromName: summary.fromName,
    toAddresses: JSON.stringify(summary.to),
    ccAddresses: JSON.stringify(summary.cc),
    subject: summary.subject,
    sentDate: summary.sentDate,
    messageIdHeader: summary.messageId,
    inReplyTo: summary.inReplyTo,
    references: summary.references.join(" "),
    snippet: summary.snippet,
    hasAttachments: summary.hasAttachments,
    queueId: req.queueId,
  };

  return db.$transaction(async (tx) => {
    // Write first: SQLite takes its write lock at the first write of a transaction.
    for (const b of new Set([blob, queueBlob])) {
      if (!b) continue;
      await tx.blob.upsert({
        where: { hash: b.hash },
        create: { hash: b.hash, size: b.size, data: b.inlineData ? new Uint8Array(b.inlineData) : null },
        update: {},
        select: { hash: true },
      });
    }
    const out: Delivered[] = [];
    for (const t of req.targets) {
      if (!common || !blob) break;
      const mailbox = await tx.mailbox.update({
        where: { accountId_name: { accountId: t.accountId, name: t.mailbox ?? INBOX } },
        data: { uidNext: { increment: 1 }, highestModSeq: { increment: 1 } },
        select: { id: true, uidNext: true, highestModSeq: true },
      });
      const id = createId();
      await tx.message.create({
        data: {
          id,
          ...common,
          mailboxId: mailbox.id,
          accountId: t.accountId,
          uid: mailbox.uidNext - 1,
          modSeq: mailbox.highestModSeq,
          threadId: threadIds.get(t.accountId) || id,
          ...t.flags,
        },
        select: { id: true },
      });
      await tx.account.update({ where: { id: t.accountId }, data: { usedBytes: { increment: blob.size } }, select: { id: true } });
      out.push({ accountId: t.accountId, mailboxId: mailbox.id, messageId: id, uid: mailbox.uidNext - 1 });
    }
    if (queued && queueBlob) {
      await tx.outboundMessage.create({
        data: {
          id: req.queueId,
          accountId: queued.accountId,
          mailFrom: queued.mailFrom,
          blobHash: queueBlob.hash,
          size: queueBlob.size,
          recipients: { create: queued.recipients.map((address) => ({ address, domain: address.slice(address.lastIndexOf("@") + 1) })) },
        },
        select: { id: true },
      });
    }
    await tx.deliveryLog.createMany({
      data: [
        ...(req.receivedFrom ? [{ queueId: req.queueId, event: "received", detail: req.receivedFrom }] : []),
        ...req.targets.map((t) => ({ queueId: req.queueId, recipient: t.recipient ?? "", event: "delivered", detail: `to ${t.mailbox ?? INBOX}` })),
        ...(queued ? queued.recipients.map((r) => ({ queueId: req.queueId, recipient: r, event: "queued", detail: "for remote delivery" })) : []),
      ],
    });
    return out;
  });
}

/** The thread of the message this one replies to (In-Reply-To, then References), if we have it. */
async function findThreadId(db: Db, accountId: string, s: MessageSummary): Promise<string> {
  const ids = [s.inReplyTo, ...s.references.slice().reverse()].filter(Boolean);
  if (ids.length === 0) return "";
  const parent = await db.message.findFirst({
    where: { accountId, messageIdHeader: { in: ids }, threadId: { not: "" } },
    select: { threadId: true },
  });
  return parent?.threadId ?? "";
}
