/**
 * The outbound queue's state changes, run by the store's drivers like every other op so
 * that on SQLite they go through the one writer (a single claimer) and on PostgreSQL
 * several engines can claim side by side: `FOR UPDATE SKIP LOCKED` hands each due
 * recipient to one worker, whose lease (lockedBy, lockedUntil) makes it due again if
 * that worker dies. A result is written only while the lease is still the worker's and
 * the recipient still "delivering", so a delivered recipient is never handed out again.
 *
 * Recipient states: queued → delivering → delivered | deferred (→ delivering ...) |
 * bounce (a failure DSN is owed; claimed again by whoever writes it) → failed |
 * relayed (delivered to a next hop without DSN, a "relayed" DSN is owed, RFC 3461
 * 5.2.3; claimed again the same way) → delivered.
 */
import { createId } from "../../domain/ids";
import type { StoreTx } from "../tx";

export interface ClaimArgs {
  worker: string;
  now: Date;
  leaseMs: number;
  limit: number;
}

export interface ClaimedRecipient {
  id: string;
  queueId: string;
  address: string;
  domain: string;
  status: "delivering" | "bounce" | "relayed";
  attempts: number;
  notify: string | null;
  orcpt: string | null;
  delayNotified: boolean;
  lastReply: string;
  createdAt: Date;
}

export interface ClaimedMessage {
  id: string;
  accountId: string | null;
  mailFrom: string;
  blobHash: string;
  bodyOffset: number;
  size: number;
  envId: string | null;
  ret: string | null;
  isDsn: boolean;
  createdAt: Date;
}

export interface Claim {
  recipients: ClaimedRecipient[];
  messages: ClaimedMessage[];
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v).replace(" ", "T") + (/Z|[+-]\d\d:\d\d$/.test(String(v)) ? "" : "Z")));

/** Claims up to `limit` due recipients: queued or deferred and due, or whose lease ran out. */
export async function claimQueue(tx: StoreTx, a: ClaimArgs): Promise<Claim> {
  const until = new Date(a.now.getTime() + a.leaseMs);
  const due = `("status" IN ('queued', 'deferred') AND "nextAttemptAt" <= $3) OR ("status" IN ('delivering', 'bounce', 'relayed') AND "lockedUntil" < $3)`;
  const pick = tx.dialect === "postgresql"
    ? `SELECT "id" FROM "OutboundRecipient" WHERE ${due} ORDER BY "nextAttemptAt" LIMIT $4 FOR UPDATE SKIP LOCKED`
    : `SELECT "id" FROM "OutboundRecipient" WHERE ${due} ORDER BY "nextAttemptAt" LIMIT $4`;
  const rows = await tx.all<Record<string, unknown>>(
    `UPDATE "OutboundRecipient" SET "status" = CASE WHEN "status" IN ('bounce', 'relayed') THEN "status" ELSE 'delivering' END, "lockedBy" = $1, "lockedUntil" = $2
     WHERE "id" IN (${pick}) RETURNING "id", "messageId", "address", "domain", "status", "attempts", "notify", "orcpt", "delayNotified", "lastReply", "createdAt"`,
    [a.worker, until, a.now, a.limit],
  );
  if (!rows.length) return { recipients: [], messages: [] };
  const recipients: ClaimedRecipient[] = rows.map((r) => ({
    id: String(r.id),
    queueId: String(r.messageId),
    address: String(r.address),
    domain: String(r.domain).toLowerCase(),
    status: r.status as ClaimedRecipient["status"],
    attempts: Number(r.attempts),
    notify: (r.notify as string | null) ?? null,
    orcpt: (r.orcpt as string | null) ?? null,
    delayNotified: Boolean(Number(r.delayNotified)) || r.delayNotified === true,
    lastReply: String(r.lastReply ?? ""),
    createdAt: date(r.createdAt),
  }));
  const ids = [...new Set(recipients.map((r) => r.queueId))];
  const list = tx.dialect === "sqlite" ? `IN (SELECT value FROM json_each($1))` : `= ANY($1::text[])`;
  const msgs = await tx.all<Record<string, unknown>>(
    `SELECT "id", "accountId", "mailFrom", "blobHash", "bodyOffset", "size", "envId", "ret", "isDsn", "createdAt" FROM "OutboundMessage" WHERE "id" ${list}`,
    [ids],
  );
  return {
    recipients,
    messages: msgs.map((m) => ({
      id: String(m.id),
      accountId: (m.accountId as string | null) ?? null,
      mailFrom: String(m.mailFrom),
      blobHash: String(m.blobHash),
      bodyOffset: Number(m.bodyOffset),
      size: Number(m.size),
      envId: (m.envId as string | null) ?? null,
      ret: (m.ret as string | null) ?? null,
      isDsn: m.isDsn === true || Number(m.isDsn) === 1,
      createdAt: date(m.createdAt),
    })),
  };
}

export interface AttemptResult {
  recipientId: string;
  queueId: string;
  address: string;
  /** bounce: failed for good, a DSN is owed; relayed: delivered, a "relayed" DSN is owed (the lease is renewed for writing it). */
  status: "delivered" | "deferred" | "bounce" | "failed" | "relayed";
  reply: string;
  /** For "deferred": when to try again. */
  nextAttemptAt?: Date;
  /** Counts as a delivery attempt (a connection was tried); false for bounces decided without one. */
  attempted: boolean;
  delayNotified?: boolean;
  /** The delivery log line. */
  event: string;
  remoteHost?: string;
  tls?: string;
}

/**
 * Writes attempt results for recipients this worker still holds; returns the ids written
 * (a result for a recipient whose lease went to another worker is dropped).
 */
export async function recordQueueResults(tx: StoreTx, a: { worker: string; now: Date; leaseMs: number; results: AttemptResult[] }): Promise<string[]> {
  const written: string[] = [];
  for (const r of a.results) {
    const n = await tx.run(
      `UPDATE "OutboundRecipient" SET "status" = $1, "attempts" = "attempts" + $2, "lastAttemptAt" = CASE WHEN $2 = 1 THEN $3 ELSE "lastAttemptAt" END,
         "lastReply" = $4, "nextAttemptAt" = COALESCE($5, "nextAttemptAt"), "deliveredAt" = CASE WHEN $1 IN ('delivered', 'relayed') THEN COALESCE("deliveredAt", $3) ELSE "deliveredAt" END,
         "delayNotified" = CASE WHEN $6 = 1 THEN $7 ELSE "delayNotified" END,
         "lockedBy" = CASE WHEN $1 IN ('bounce', 'relayed') THEN "lockedBy" ELSE NULL END,
         "lockedUntil" = CASE WHEN $1 IN ('bounce', 'relayed') THEN ${tx.dialect === "postgresql" ? "$8::timestamp" : "$8"} ELSE NULL END
       WHERE "id" = $9 AND "lockedBy" = $10 AND "status" IN ('delivering', 'bounce', 'relayed')`,
      [r.status, r.attempted ? 1 : 0, a.now, r.reply.slice(0, 1000), r.nextAttemptAt ?? null, r.delayNotified ? 1 : 0, true, new Date(a.now.getTime() + a.leaseMs), r.recipientId, a.worker],
    );
    if (n === 0) continue;
    written.push(r.recipientId);
    await tx.run(
      `INSERT INTO "DeliveryLog" ("id", "queueId", "recipient", "event", "detail", "remoteHost", "tls", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [createId(), r.queueId, r.address, r.event, r.reply.slice(0, 1000), r.remoteHost ?? "", r.tls ?? "", a.now],
    );
  }
  await finishQueued(tx, { queueIds: [...new Set(a.results.filter((r) => written.includes(r.recipientId)).map((r) => r.queueId))] });
  return written;
}

/**
 * Deletes queue entries whose recipients are all delivered or failed (their blob is then
 * freed by the sweeper unless a mailbox copy holds it); the delivery log stays.
 */
export async function finishQueued(tx: StoreTx, a: { queueIds: string[] }): Promise<number> {
  let n = 0;
  for (const id of a.queueIds) {
    n += await tx.run(
      `DELETE FROM "OutboundMessage" WHERE "id" = $1 AND NOT EXISTS (SELECT 1 FROM "OutboundRecipient" WHERE "messageId" = $1 AND "status" NOT IN ('delivered', 'failed'))`,
      [id],
    );
  }
  return n;
}

/** Hands back recipients a stopping worker claimed but did not start: due again at once, for any worker. */
export async function releaseQueued(tx: StoreTx, a: { worker: string; recipientIds: string[] }): Promise<number> {
  let n = 0;
  for (const id of a.recipientIds) {
    n += await tx.run(`UPDATE "OutboundRecipient" SET "status" = 'queued', "lockedBy" = NULL, "lockedUntil" = NULL WHERE "id" = $1 AND "lockedBy" = $2 AND "status" = 'delivering'`, [id, a.worker]);
  }
  return n;
}
