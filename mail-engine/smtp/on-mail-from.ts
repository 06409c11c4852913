/**
 * MAIL FROM: parameters (DSN's RET and ENVID checked here, lib/domain/dsn-params.ts), the
 * declared size, and on submission the sender's ownership of the envelope address. An
 * accepted MAIL FROM opens the transaction and its queue id.
 */
import type { SMTPServerAddress } from "smtp-server";
import type { EngineContext } from "../context";
import type { Logger } from "../../lib/log";
import { newQueueId } from "../../lib/domain/ids";
import { mayUseSender } from "../../lib/routing/resolve";
import { mailDsnParams } from "../../lib/domain/dsn-params";
import { smtpError } from "./replies";
import { unknownParameters } from "./envelope-checks";
import { declaredSize, type ListenerKind, type Session, type Transaction } from "./transaction";

export function onMailFrom(ctx: EngineContext, kind: ListenerKind, log: Logger, txns: Map<string, Transaction>) {
  const { db, config } = ctx;
  const isMx = kind === "mx";
  return (address: SMTPServerAddress, session: Session, cb: (err?: Error | null) => void): void => {
    const unknown = unknownParameters("MAIL", address);
    if (unknown.length) return cb(smtpError(555, "5.5.4", `MAIL FROM parameter not recognised or not implemented: ${unknown.join(" ")}`));
    // Read from the command itself: smtp-server's session.envelope.dsn keeps a refused MAIL's values.
    const dsn = mailDsnParams(address.args);
    if (!dsn.ok) return cb(smtpError(501, "5.5.4", `Bad MAIL FROM parameter: ${dsn.reason}`));
    const declared = declaredSize(address);
    if (declared > config.maxMessageSize) {
      return cb(smtpError(552, "5.3.4", `Message size ${declared} exceeds the limit of ${config.maxMessageSize} bytes`));
    }
    const finish = () => {
      const queueId = newQueueId();
      txns.set(session.id, { queueId, local: new Map(), remote: new Set(), forwards: new Map(), accepted: [], dsn: dsn.value, rcptDsn: {}, success: [] });
      log.debug("smtp.mail_from", { cid: session.id, msgId: queueId, from: address.address });
      cb();
    };
    if (isMx) return finish();
    const user = session.user;
    if (!user) return cb(smtpError(530, "5.7.0", "Authentication required: use STARTTLS, then AUTH, before MAIL FROM"));
    mayUseSender(db, user, address.address)
      .then((ok) => (ok ? finish() : cb(smtpError(553, "5.7.1", `Sender address <${address.address}> is not yours to send as (${user.email})`))))
      .catch((err) => {
        log.error("smtp.mail_from_error", { cid: session.id, error: err });
        cb(smtpError(451, "4.3.0", "Temporary failure checking the sender; try again"));
      });
  };
}
