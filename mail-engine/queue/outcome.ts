/**
 * What becomes of a recipient after an attempt: written to the queue and the delivery
 * log under the worker's lease, logged, and — for bounces and the one delay notice — a
 * DSN to the envelope sender: into their Inbox when the sender is local, through the
 * queue (null sender, marked as a DSN) when remote.
 */
import type { EngineContext } from "../context";
import { newQueueId } from "../../lib/domain/ids";
import { prismaLookup, resolveRecipient } from "../../lib/routing/resolve";
import { resolveSrsAddress, srsKey } from "../../lib/routing/srs";
import type { AttemptResult, ClaimedMessage, ClaimedRecipient } from "../../lib/store/ops/queue";
import { buildDsn, mayNotify, wanted, type DsnRecipient } from "./dsn";
import { ResultWriter } from "./result-writer";
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
}

export class Outcomes {
  /**
   * PostgreSQL runs each op in its own transaction: results are batched (result-writer.ts)
   * so a burst of deliveries costs one commit. SQLite's writer already commits the ops that
   * arrive together in one transaction; a batch there would only wait for the one before.
   */
  private readonly results: ResultWriter | null;

  constructor(private readonly ctx: EngineContext, private readonly worker: string, private readonly blobs: { get(hash: string): Promise<Buffer> }) {
    this.results = ctx.config.provider === "postgresql" ? new ResultWriter((results, now) => this.write(results, now)) : null;
  }

  private write(results: AttemptResult[], now: Date): Promise<string[]> {
    return this.ctx.store.run("recordQueueResults", { worker: this.worker, now, leaseMs: this.ctx.config.queueLeaseMs, results });
  }

  /** Records one message's outcomes; bounces then get their DSN. */
  async record(message: ClaimedMessage, outcomes: Outcome[]): Promise<void> {
    const { config, log } = this.ctx;
    const now = new Date();
    const delayed: DsnRecipient[] = [];
    const results: AttemptResult[] = outcomes.map((o) => {
      const base = { recipientId: o.recipient.id, queueId: message.id, address: o.recipient.address, attempted: o.attempted, remoteHost: o.remoteHost, tls: o.tls };
      const reply = o.reply.trim();
      if (o.code >= 200 && o.code < 300) return { ...base, status: "delivered", reply, event: "delivered" };
      if (o.code >= 500) return { ...base, status: "bounce", reply, event: "failed" };
      if (expired(config, o.recipient.createdAt, now)) {
        return { ...base, status: "bounce", reply: `4.4.7 gave up after ${Math.round(config.queueLifetimeMs / 3_600_000)} h in the queue; last: ${reply}`, event: "expired" };
      }
      const attempts = o.recipient.attempts + (o.attempted ? 1 : 0);
      const notice = !o.recipient.delayNotified && delayNoticeDue(config, o.recipient.createdAt, now) && mayNotify(message) && wanted(o.recipient.notify, "delayed");
      if (notice) delayed.push({ address: o.recipient.address, orcpt: o.recipient.orcpt, action: "delayed", reply, remoteMta: hostName(o.remoteHost) });
      return { ...base, status: "deferred", reply, event: "deferred", nextAttemptAt: new Date(now.getTime() + retryDelay(config, Math.max(1, attempts))), delayNotified: notice };
    });
    const written = this.results ? await this.results.record(results, now) : new Set(await this.write(results, now));
    for (const r of results) {
      if (!written.has(r.recipientId)) {
        log.warn("queue.lease_lost", { msgId: message.id, to: r.address, hint: "another worker took this recipient over; its result is not recorded" });
        continue;
      }
      const fields = { msgId: message.id, to: r.address, host: r.remoteHost, reply: r.reply, tls: r.tls || undefined };
      if (r.status === "delivered") log.info("queue.delivered", fields);
      else if (r.status === "deferred") log.info("queue.deferred", { ...fields, retryAt: r.nextAttemptAt?.toISOString() });
      else log.warn("queue.bounced", fields);
    }
    if (delayed.length) await this.notify(message, delayed).catch((err) => log.error("queue.dsn_failed", { msgId: message.id, error: err }));
    const bounced = results.filter((r) => r.status === "bounce" && written.has(r.recipientId));
    if (bounced.length) {
      const byId = new Map(outcomes.map((o) => [o.recipient.id, o]));
      await this.bounce(message, bounced.map((r) => ({ recipient: byId.get(r.recipientId)!.recipient, reply: r.reply, remoteHost: r.remoteHost })));
    }
  }

  /**
   * Sends the failure DSN for recipients in state "bounce" (held by this worker), then
   * marks them failed. A crash in between makes them due for this step again.
   */
  async bounce(message: ClaimedMessage, items: Array<{ recipient: ClaimedRecipient; reply: string; remoteHost?: string }>): Promise<void> {
    const want = items.filter((i) => mayNotify(message) && wanted(i.recipient.notify, "failed"));
    let detail = mayNotify(message) ? "no DSN (NOTIFY)" : "no DSN (null sender or a DSN)";
    if (want.length) {
      try {
        const id = await this.notify(message, want.map((i) => ({ address: i.recipient.address, orcpt: i.recipient.orcpt, action: "failed", reply: i.reply, remoteMta: hostName(i.remoteHost) })));
        detail = id ? `DSN ${id} to <${message.mailFrom}>` : `no DSN: sender <${message.mailFrom}> is unknown`;
      } catch (err) {
        this.ctx.log.error("queue.dsn_failed", { msgId: message.id, error: err, hint: "retried when the lease runs out" });
        return;
      }
    }
    const now = new Date();
    await this.ctx.store.run("recordQueueResults", {
      worker: this.worker,
      now,
      leaseMs: 0,
      results: items.map((i) => ({ recipientId: i.recipient.id, queueId: message.id, address: i.recipient.address, status: "failed" as const, reply: `${i.reply}; ${detail}`, attempted: false, event: "bounced", remoteHost: i.remoteHost })),
    });
  }

  /** Queues or stores one DSN; returns its queue id, or null when the sender cannot be reached. */
  private async notify(message: ClaimedMessage, recipients: DsnRecipient[]): Promise<string | null> {
    const { ctx } = this;
    const original = (await this.blobs.get(message.blobHash)).subarray(message.bodyOffset);
    const queueId = newQueueId();
    const sender = message.mailFrom;
    // A message we forwarded carries our SRS address as its sender: the DSN goes to the original one.
    const lookup = ctx.lookup ?? prismaLookup(ctx.db);
    const srs = await resolveSrsAddress(lookup, srsKey(ctx.config), sender);
    const where = srs && srs.kind !== "srs-invalid" ? srs : await resolveRecipient(lookup, sender);
    const dsn = buildDsn({ reportingMta: ctx.config.hostname, message, original, recipients });
    const raw = Buffer.concat([Buffer.from(`Return-Path: <>\r\n`), dsn]);
    if (where.kind === "local" && (where.accounts.length || where.forwards.length)) {
      await ctx.store.deliver({
        raw,
        queueId,
        targets: where.accounts.map((a) => ({ accountId: a.id })),
        queue: where.forwards.length ? { mailFrom: "", accountId: null, recipients: where.forwards, bodyOffset: "Return-Path: <>\r\n".length, isDsn: true } : undefined,
        receivedFrom: `DSN for ${message.id}`,
        quota: "grace",
      });
    } else if (where.kind === "remote") {
      await ctx.store.deliver({ raw, queueId, targets: [], queue: { mailFrom: "", accountId: null, recipients: [where.address], bodyOffset: "Return-Path: <>\r\n".length, isDsn: true }, receivedFrom: `DSN for ${message.id}` });
    } else {
      ctx.log.warn("queue.dsn_undeliverable", { msgId: message.id, sender, resolution: where.kind });
      return null;
    }
    ctx.log.info("queue.dsn", { msgId: message.id, dsn: queueId, to: sender, action: recipients[0].action, recipients: recipients.map((r) => r.address) });
    return queueId;
  }
}

/** "mx.example.com[192.0.2.1]" → "mx.example.com". */
function hostName(h: string | undefined): string | undefined {
  return h ? h.replace(/\[.*$/, "") : undefined;
}
