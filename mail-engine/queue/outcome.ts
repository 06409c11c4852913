/**
 * What becomes of a recipient after an attempt: written to the queue and the delivery
 * log under the worker's lease, logged, and — for bounces, the one delay notice, and a
 * SUCCESS notification the next hop will not give — a DSN to the envelope sender
 * (dsn-send.ts).
 */
import type { EngineContext } from "../context";
import type { AttemptResult, ClaimedMessage, ClaimedRecipient } from "../../lib/store/ops/queue";
import { mayNotify, wanted, type DsnAction, type DsnRecipient } from "./dsn";
import { sendDsn } from "./dsn-send";
import { delayNoticeDue, expired, retryDelay } from "./schedule";

export interface Outcome {
  recipient: ClaimedRecipient;
  /** SMTP reply code of the attempt; 0 when no server answered. */
  code: number;
  reply: string;
  /** A connection was made or tried (counts as an attempt). */
  attempted: boolean;
  remoteHost?: string;
  tls?: string;
  /** The host that answered offers DSN (RFC 3461): NOTIFY went on with the message, success reports are its job. */
  nextHopDsn?: boolean;
}

type Item = { recipient: ClaimedRecipient; reply: string; remoteHost?: string };

export class Outcomes {
  constructor(private readonly ctx: EngineContext, private readonly worker: string, private readonly blobs: { get(hash: string): Promise<Buffer> }) {}

  /** Records one message's outcomes; bounces then get their DSN. */
  async record(message: ClaimedMessage, outcomes: Outcome[]): Promise<void> {
    const { config, log } = this.ctx;
    const now = new Date();
    const delayed: DsnRecipient[] = [];
    const results: AttemptResult[] = outcomes.map((o) => {
      const base = { recipientId: o.recipient.id, queueId: message.id, address: o.recipient.address, attempted: o.attempted, remoteHost: o.remoteHost, tls: o.tls };
      const reply = o.reply.trim();
      if (o.code >= 200 && o.code < 300) {
        // RFC 3461 5.2.3: a next hop without DSN ends the chain of notifications here, so we report "relayed".
        const owed = !o.nextHopDsn && mayNotify(message) && wanted(o.recipient.notify, "relayed");
        return { ...base, status: owed ? "relayed" : "delivered", reply, event: "delivered" };
      }
      if (o.code >= 500) return { ...base, status: "bounce", reply, event: "failed" };
      if (expired(config, o.recipient.createdAt, now)) {
        return { ...base, status: "bounce", reply: `4.4.7 gave up after ${Math.round(config.queueLifetimeMs / 3_600_000)} h in the queue; last: ${reply}`, event: "expired" };
      }
      const attempts = o.recipient.attempts + (o.attempted ? 1 : 0);
      const notice = !o.recipient.delayNotified && delayNoticeDue(config, o.recipient.createdAt, now) && mayNotify(message) && wanted(o.recipient.notify, "delayed");
      if (notice) delayed.push({ address: o.recipient.address, orcpt: o.recipient.orcpt, action: "delayed", reply, remoteMta: hostName(o.remoteHost) });
      return { ...base, status: "deferred", reply, event: "deferred", nextAttemptAt: new Date(now.getTime() + retryDelay(config, Math.max(1, attempts))), delayNotified: notice };
    });
    const written = new Set(await this.ctx.store.run("recordQueueResults", { worker: this.worker, now, leaseMs: config.queueLeaseMs, results }));
    for (const r of results) {
      if (!written.has(r.recipientId)) {
        log.warn("queue.lease_lost", { msgId: message.id, to: r.address, hint: "another worker took this recipient over; its result is not recorded" });
        continue;
      }
      const fields = { msgId: message.id, to: r.address, host: r.remoteHost, reply: r.reply, tls: r.tls || undefined };
      if (r.status === "delivered" || r.status === "relayed") log.info("queue.delivered", fields);
      else if (r.status === "deferred") log.info("queue.deferred", { ...fields, retryAt: r.nextAttemptAt?.toISOString() });
      else log.warn("queue.bounced", fields);
    }
    if (delayed.length) await this.notify(message, delayed).catch((err) => log.error("queue.dsn_failed", { msgId: message.id, error: err }));
    const byId = new Map(outcomes.map((o) => [o.recipient.id, o]));
    const owing = (status: AttemptResult["status"]) =>
      results.filter((r) => r.status === status && written.has(r.recipientId)).map((r) => ({ recipient: byId.get(r.recipientId)!.recipient, reply: r.reply, remoteHost: r.remoteHost }));
    const bounced = owing("bounce");
    if (bounced.length) await this.bounce(message, bounced);
    const relayed = owing("relayed");
    if (relayed.length) await this.relayed(message, relayed);
  }

  /**
   * Sends the failure DSN for recipients in state "bounce" (held by this worker), then
   * marks them failed. A crash in between makes them due for this step again.
   */
  async bounce(message: ClaimedMessage, items: Item[]): Promise<void> {
    await this.settle(message, items, "failed", { status: "failed", event: "bounced" });
  }

  /**
   * Sends the "relayed" DSN for recipients in state "relayed" (delivered to a next hop
   * without DSN, NOTIFY=SUCCESS; held by this worker), then marks them delivered. As for
   * bounces, a crash in between makes them due for this step again.
   */
  async relayed(message: ClaimedMessage, items: Item[]): Promise<void> {
    await this.settle(message, items, "relayed", { status: "delivered", event: "relayed" });
  }

  /** Writes the DSN a recipient is owed (if NOTIFY still wants it), then its final state. */
  private async settle(message: ClaimedMessage, items: Item[], action: DsnAction, then: { status: "failed" | "delivered"; event: string }): Promise<void> {
    const want = items.filter((i) => mayNotify(message) && wanted(i.recipient.notify, action));
    let detail = mayNotify(message) ? "no DSN (NOTIFY)" : "no DSN (null sender or a DSN)";
    if (want.length) {
      try {
        const id = await this.notify(message, want.map((i) => ({ address: i.recipient.address, orcpt: i.recipient.orcpt, action, reply: i.reply, remoteMta: hostName(i.remoteHost) })));
        detail = id ? `DSN ${id} to <${message.mailFrom}>` : `no DSN: sender <${message.mailFrom}> is unknown`;
      } catch (err) {
        this.ctx.log.error("queue.dsn_failed", { msgId: message.id, error: err, hint: "retried when the lease runs out" });
        return;
      }
    }
    await this.ctx.store.run("recordQueueResults", {
      worker: this.worker,
      now: new Date(),
      leaseMs: 0,
      results: items.map((i) => ({ recipientId: i.recipient.id, queueId: message.id, address: i.recipient.address, status: then.status, reply: `${i.reply}; ${detail}`, attempted: false, event: then.event, remoteHost: i.remoteHost })),
    });
  }

  private async notify(message: ClaimedMessage, recipients: DsnRecipient[]): Promise<string | null> {
    const original = (await this.blobs.get(message.blobHash)).subarray(message.bodyOffset);
    return sendDsn(this.ctx, message.id, message, original, recipients);
  }
}

/** "mx.example.com[192.0.2.1]" → "mx.example.com". */
function hostName(h: string | undefined): string | undefined {
  return h ? h.replace(/\[.*$/, "") : undefined;
}
