/** The outbound queue as admins see it (mailctl queue, admin console). Delivery itself is the engine's. */
import type { Db } from "../db/client";

export class QueueError extends Error {}

export async function listQueue(db: Db, opts: { includeFinished?: boolean } = {}) {
  return db.outboundMessage.findMany({
    where: opts.includeFinished ? {} : { recipients: { some: { status: { in: ["queued", "delivering", "deferred"] } } } },
    orderBy: { createdAt: "asc" },
    include: { recipients: { orderBy: { address: "asc" } } },
  });
}

/** Makes deferred recipients due now; returns how many. */
export async function retryNow(db: Db, queueId: string | null, actor: string): Promise<number> {
  const { count } = await db.outboundRecipient.updateMany({
    where: { status: { in: ["queued", "deferred"] }, ...(queueId ? { messageId: queueId } : {}) },
    data: { nextAttemptAt: new Date(), status: "queued" },
  });
  if (queueId && count === 0 && !(await db.outboundMessage.findUnique({ where: { id: queueId } }))) throw new QueueError(`no queued message ${queueId}`);
  await db.auditLog.create({ data: { actor, action: "queue.retry", target: queueId ?? "all", detail: `${count} recipient(s)` } });
  return count;
}

export async function deleteQueued(db: Db, queueId: string, actor: string): Promise<void> {
  const { count } = await db.outboundMessage.deleteMany({ where: { id: queueId } });
  if (count === 0) throw new QueueError(`no queued message ${queueId}`);
  await db.deliveryLog.create({ data: { queueId, event: "deleted", detail: `by ${actor}` } });
  await db.auditLog.create({ data: { actor, action: "queue.delete", target: queueId } });
}

/**
 * Gives up on a message's waiting recipients (queued or deferred) now: the engine's queue
 * worker sends the sender a DSN for them and marks them failed. Recipients on the wire
 * at this moment are left to finish. Returns how many were bounced.
 */
export async function bounceQueued(db: Db, queueId: string, actor: string): Promise<number> {
  if (!(await db.outboundMessage.findUnique({ where: { id: queueId } }))) throw new QueueError(`no queued message ${queueId}`);
  const reply = `5.0.0 returned to the sender by the administrator (${actor})`;
  // "bounce" with a lapsed lease: the worker claims it at once for the DSN (lib/store/ops/queue.ts).
  const { count } = await db.outboundRecipient.updateMany({
    where: { messageId: queueId, status: { in: ["queued", "deferred"] } },
    data: { status: "bounce", lastReply: reply, lockedBy: null, lockedUntil: new Date(0) },
  });
  await db.deliveryLog.create({ data: { queueId, event: "bounce", detail: `${count} recipient(s) by ${actor}` } });
  await db.auditLog.create({ data: { actor, action: "queue.bounce", target: queueId, detail: `${count} recipient(s)` } });
  return count;
}
