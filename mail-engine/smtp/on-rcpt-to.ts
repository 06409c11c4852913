/**
 * RCPT TO: parameters, the recipient limit, routing (local, forwarded, relay denied on
 * the MX), quota against the declared size, the domainless postmaster, and bounces to
 * our SRS addresses (sent back to the original sender; a forged or expired one is 550).
 * DSN (RFC 3461): NOTIFY and ORCPT go with a remote recipient into the queue; a local
 * one with NOTIFY=SUCCESS is reported "delivered" once stored; an alias passes them on
 * to its one destination, or, when it has several, is reported "expanded" and its
 * destinations lose SUCCESS (5.2.7). A forwarded recipient without ORCPT gets the alias.
 */
import type { SMTPServerAddress } from "smtp-server";
import type { EngineContext } from "../context";
import type { Logger } from "../../lib/log";
import { prismaLookup, resolveRecipient } from "../../lib/routing/resolve";
import { isSrsAddress, resolveSrsAddress, srsKey } from "../../lib/routing/srs";
import { smtpError } from "./replies";
import { rcptDsnParams, type RcptDsn } from "../../lib/domain/dsn-params";
import { unknownParameters, isBarePostmaster, postmasterTarget } from "./envelope-checks";
import { declaredSize, MAX_RECIPIENTS, type ListenerKind, type Session, type Transaction } from "./transaction";

export function onRcptTo(ctx: EngineContext, kind: ListenerKind, log: Logger, txns: Map<string, Transaction>) {
  const { db } = ctx;
  const isMx = kind === "mx";
  return (address: SMTPServerAddress, session: Session, cb: (err?: Error | null) => void): void => {
    const txn = txns.get(session.id);
    if (!txn) return cb(smtpError(503, "5.5.1", "Need MAIL FROM first"));
    if (txn.accepted.length + txn.remote.size >= MAX_RECIPIENTS) return cb(smtpError(452, "4.5.3", "Too many recipients; send the rest in another transaction"));
    const unknown = unknownParameters("RCPT", address);
    if (unknown.length) return cb(smtpError(555, "5.5.4", `RCPT TO parameter not recognised or not implemented: ${unknown.join(" ")}`));
    const checked = rcptDsnParams(address.args);
    if (!checked.ok) return cb(smtpError(501, "5.5.4", `Bad RCPT TO parameter: ${checked.reason}`));
    const dsn = checked.value;
    const declared = session.envelope.mailFrom ? declaredSize(session.envelope.mailFrom) : 0;
    const lookup = ctx.lookup ?? prismaLookup(db);
    const domainOf = (a: string) => a.slice(a.lastIndexOf("@") + 1).toLowerCase();
    (isBarePostmaster(address.address) ? postmasterTarget(db, lookup).then((a) => a ?? address.address) : Promise.resolve(address.address))
      .then(async (target) => ({ target, r: (await resolveSrsAddress(lookup, srsKey(ctx.config), target)) ?? (await resolveRecipient(lookup, target)) }))
      .then(({ target, r }) => {
        switch (r.kind) {
          case "srs-invalid":
            log.warn("smtp.rcpt_refused", { cid: session.id, msgId: txn.queueId, to: address.address, reason: `SRS: ${r.reason}` });
            return cb(smtpError(550, "5.1.1", `No such user here: <${address.address}> (invalid or expired SRS address)`));
          case "invalid":
            return cb(smtpError(501, "5.1.3", `Bad recipient address syntax: ${address.address}`));
          case "unknown":
            return cb(smtpError(550, "5.1.1", `No such user here: <${address.address}>`));
          case "disabled":
            return cb(smtpError(550, "5.2.1", `Mailbox disabled: <${address.address}>`));
          case "remote":
            if (isMx) return cb(smtpError(554, "5.7.1", `Relay access denied: <${address.address}> is not a local domain`));
            txn.remote.add(r.address);
            if (dsn.notify || dsn.orcpt) txn.rcptDsn[r.address] = dsn;
            log.debug("smtp.rcpt", { cid: session.id, msgId: txn.queueId, to: r.address, remote: true });
            return cb();
          case "local": {
            const full = r.accounts.find((a) => a.quotaBytes > 0n && (a.usedBytes >= a.quotaBytes || a.usedBytes + BigInt(declared) > a.quotaBytes));
            if (full) return cb(smtpError(452, "4.2.2", `Mailbox full: <${address.address}>`));
            for (const a of r.accounts) if (!txn.local.has(a.id)) txn.local.set(a.id, { accountId: a.id, recipient: a.email });
            const expanded = r.accounts.length + r.forwards.length > 1;
            const success = dsn.notify?.split(",").includes("SUCCESS") ?? false;
            if (success && (expanded || r.accounts.length === 1)) {
              txn.success.push(expanded
                ? { address: target, orcpt: dsn.orcpt, action: "expanded", reply: `2.0.0 passed on to ${r.accounts.length + r.forwards.length} destinations` }
                : { address: target, orcpt: dsn.orcpt, action: "delivered", reply: "2.0.0 delivered to the mailbox" });
            }
            for (const f of r.forwards) {
              txn.remote.add(f);
              txn.rcptDsn[f] = forwardedDsn(dsn, expanded, address.address);
              if (!isSrsAddress(target)) txn.forwards.set(f, domainOf(target));
            }
            txn.accepted.push(target);
            log.debug("smtp.rcpt", { cid: session.id, msgId: txn.queueId, to: target, ...(target !== address.address ? { given: address.address } : {}) });
            return cb();
          }
        }
      })
      .catch((err) => {
        log.error("smtp.rcpt_error", { cid: session.id, msgId: txn.queueId, error: err });
        cb(smtpError(451, "4.3.0", "Temporary failure looking up the recipient; try again"));
      });
  };
}

/** What a forwarded recipient carries on: the alias as ORCPT, SUCCESS dropped when the alias expanded (RFC 3461 5.2.7). */
function forwardedDsn(dsn: RcptDsn, expanded: boolean, given: string): RcptDsn {
  let notify = dsn.notify;
  if (expanded && notify && notify !== "NEVER") notify = notify.split(",").filter((w) => w !== "SUCCESS").join(",") || "NEVER";
  return { notify, orcpt: dsn.orcpt ?? `rfc822;${given}` };
}
