/** What the SMTP hooks share about a connection and its mail transaction. */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import type { DeliveryTarget } from "../../lib/store";
import type { AuthenticatedAccount } from "../../lib/auth/authenticate";
import type { MailDsn, RcptDsn } from "../../lib/domain/dsn-params";
import type { DsnRecipient } from "../queue/dsn";

export type ListenerKind = "mx" | "submission" | "submissions";

/** Most recipients accepted in one transaction (RFC 5321 4.5.3.1.8 asks for at least 100). */
export const MAX_RECIPIENTS = 100;

export interface Transaction {
  queueId: string;
  local: Map<string, DeliveryTarget>;
  remote: Set<string>;
  /** Of `remote`, the destinations of local aliases, with the local domain that forwards them (the SRS domain). */
  forwards: Map<string, string>;
  /** Local recipients as given, for the log. */
  accepted: string[];
  /** RET and ENVID of MAIL FROM (RFC 3461). */
  dsn: MailDsn;
  /** NOTIFY and ORCPT for the queue, by remote (or forwarded-to) address. */
  rcptDsn: Record<string, RcptDsn>;
  /** Local recipients that asked for NOTIFY=SUCCESS: reported once the message is stored. */
  success: DsnRecipient[];
}

export type Session = SMTPServerSession & { user?: AuthenticatedAccount };

/** The SIZE= parameter of MAIL FROM (RFC 1870), 0 when absent. */
export function declaredSize(address: SMTPServerAddress): number {
  const args = address.args ? (address.args as Record<string, string>) : {};
  const n = Number(args.SIZE ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}
