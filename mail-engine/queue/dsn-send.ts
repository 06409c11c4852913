/**
 * Puts a DSN (dsn.ts) on its way to the envelope sender: into their Inbox when the
 * sender is local, through the queue (null sender, marked as a DSN so it is never
 * answered by another) when remote. A message we forwarded carries our SRS address as
 * its sender: the DSN goes to the original one. Used by the queue (failed, delayed,
 * relayed) and by SMTP reception (delivered).
 */
import type { EngineContext } from "../context";
import { newQueueId } from "../../lib/domain/ids";
import { prismaLookup, resolveRecipient } from "../../lib/routing/resolve";
import { resolveSrsAddress, srsKey } from "../../lib/routing/srs";
import { buildDsn, type DsnRecipient, type DsnSubject } from "./dsn";

const RETURN_PATH = "Return-Path: <>\r\n";

/** Stores or queues one DSN about message `msgId`; returns its queue id, or null when the sender cannot be reached. */
export async function sendDsn(ctx: EngineContext, msgId: string, message: DsnSubject, original: Buffer, recipients: DsnRecipient[]): Promise<string | null> {
  const queueId = newQueueId();
  const sender = message.mailFrom;
  const lookup = ctx.lookup ?? prismaLookup(ctx.db);
  const srs = await resolveSrsAddress(lookup, srsKey(ctx.config), sender);
  const where = srs && srs.kind !== "srs-invalid" ? srs : await resolveRecipient(lookup, sender);
  const dsn = buildDsn({ reportingMta: ctx.config.hostname, message, original, recipients });
  const raw = Buffer.concat([Buffer.from(RETURN_PATH), dsn]);
  const queued = (to: string[]) => ({ mailFrom: "", accountId: null, recipients: to, bodyOffset: RETURN_PATH.length, isDsn: true });
  if (where.kind === "local" && (where.accounts.length || where.forwards.length)) {
    await ctx.store.deliver({
      raw,
      queueId,
      targets: where.accounts.map((a) => ({ accountId: a.id })),
      queue: where.forwards.length ? queued(where.forwards) : undefined,
      receivedFrom: `DSN for ${msgId}`,
      quota: "grace",
    });
  } else if (where.kind === "remote") {
    await ctx.store.deliver({ raw, queueId, targets: [], queue: queued([where.address]), receivedFrom: `DSN for ${msgId}` });
  } else {
    ctx.log.warn("queue.dsn_undeliverable", { msgId, sender, resolution: where.kind });
    return null;
  }
  ctx.log.info("queue.dsn", { msgId, dsn: queueId, to: sender, action: recipients[0].action, recipients: recipients.map((r) => r.address) });
  return queueId;
}
