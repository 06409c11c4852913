/**
 * One message's delivery trace from the delivery log: received, each local delivery and
 * queueing, every remote attempt (host, reply, TLS), delivered / bounced, the DSN sent.
 * For `mailctl queue trace <id>` and, later, the admin console.
 */
import type { Db } from "../db/client";
import { QueueError } from "./admin";

export interface TraceEvent {
  at: Date;
  event: string;
  recipient: string;
  remoteHost: string;
  tls: string;
  detail: string;
}

export interface Trace {
  queueId: string;
  events: TraceEvent[];
  /** Recipients still in the queue and their state (none once all are delivered or failed). */
  pending: Array<{ address: string; status: string; attempts: number; nextAttemptAt: Date; lastReply: string }>;
}

export async function traceMessage(db: Db, queueId: string): Promise<Trace> {
  const rows = await db.deliveryLog.findMany({ where: { queueId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  const pending = await db.outboundRecipient.findMany({
    where: { messageId: queueId, status: { notIn: ["delivered", "failed"] } },
    orderBy: { address: "asc" },
    select: { address: true, status: true, attempts: true, nextAttemptAt: true, lastReply: true },
  });
  // Rows of one transaction share a time: receipt first, then what became of it.
  rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || Number(b.event === "received") - Number(a.event === "received"));
  if (!rows.length && !pending.length) throw new QueueError(`no message ${queueId} in the delivery log`);
  return {
    queueId,
    events: rows.map((r) => ({ at: r.createdAt, event: r.event, recipient: r.recipient, remoteHost: r.remoteHost, tls: r.tls, detail: r.detail })),
    pending,
  };
}

/** The trace as text lines, oldest first. */
export function formatTrace(t: Trace): string[] {
  const lines = t.events.map((e) => {
    const where = [e.remoteHost, e.tls].filter(Boolean).join(" ");
    return `${e.at.toISOString()}  ${e.event.padEnd(9)} ${e.recipient ? `<${e.recipient}> ` : ""}${where ? `[${where}] ` : ""}${e.detail}`.trimEnd();
  });
  for (const p of t.pending) lines.push(`now                       ${p.status.padEnd(9)} <${p.address}> ${p.attempts} attempt(s), next ${p.nextAttemptAt.toISOString()}${p.lastReply ? `: ${p.lastReply}` : ""}`);
  return lines;
}
