/**
 * AUTH (submission only): the password check shared with the web sign-in, with its
 * lock-out, and RFC 4616 2's rule on the authorisation identity of AUTH PLAIN.
 */
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from "smtp-server";
import type { EngineContext } from "../context";
import type { Logger } from "../../lib/log";
import { authenticate, AuthError } from "../../lib/auth/authenticate";
import { smtpError } from "./replies";
import type { Session } from "./transaction";

export function onAuth(ctx: EngineContext, log: Logger) {
  const { db, config } = ctx;
  return (auth: SMTPServerAuthentication, session: Session, cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void => {
    authenticate(db, config, { username: auth.username ?? "", password: auth.password ?? "", ip: session.remoteAddress, allowAppPasswords: true })
      .then((account) => {
        // RFC 4616 2: an authorisation identity other than the authenticated one is
        // accepted only when the user may act as it; accounts cannot act as others.
        const authzid = (auth as { authzid?: string }).authzid ?? "";
        if (authzid && authzid.toLowerCase() !== account.email && authzid.toLowerCase() !== (auth.username ?? "").toLowerCase()) {
          log.warn("smtp.auth_failed", { cid: session.id, ip: session.remoteAddress, user: account.email, authzid, reason: "authzid" });
          return cb(smtpError(535, "5.7.8", `Authentication credentials invalid: ${account.email} may not act as ${authzid}`));
        }
        log.info("smtp.auth", { cid: session.id, ip: session.remoteAddress, user: account.email, method: auth.method });
        cb(null, { user: account });
      })
      .catch((err: unknown) => {
        if (err instanceof AuthError) {
          log.warn("smtp.auth_failed", { cid: session.id, ip: session.remoteAddress, user: auth.username, reason: err.reason });
          if (err.reason === "locked") return cb(smtpError(454, "4.7.0", "Too many failed sign-ins from your address; try again later"));
          return cb(smtpError(535, "5.7.8", "Authentication credentials invalid"));
        }
        log.error("smtp.auth_error", { cid: session.id, error: err });
        cb(smtpError(454, "4.7.0", "Temporary authentication failure; try again later"));
      });
  };
}
