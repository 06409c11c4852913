/**
 * Envelope rules smtp-server leaves to the application.
 *
 * Parameters: smtp-server stores every word after the address of MAIL FROM / RCPT TO
 * as a parameter, so trailing garbage ("MAIL FROM:<a@b.example> junk") and parameters
 * of extensions we do not offer arrive as args. RFC 5321 4.1.1.11 and 3.3: parameters
 * of extensions not advertised are refused with 555 5.5.4.
 *
 * Postmaster: RFC 5321 4.5.1 requires accepting "RCPT TO:<Postmaster>" without a
 * domain. It is delivered as postmaster@ the first local domain (the oldest one,
 * through the normal recipient resolution, so an alias or account named postmaster
 * there receives it); when that address leads nowhere, to the first admin account,
 * so the mail always reaches someone who runs the server.
 */
import type { SMTPServerAddress } from "smtp-server";
import type { Db } from "../../lib/db/client";
import { resolveRecipient, type DirectoryLookup } from "../../lib/routing/resolve";

/** Parameters we advertise: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461). REQUIRETLS is hidden. */
const MAIL_PARAMETERS = new Set(["SIZE", "BODY", "SMTPUTF8", "RET", "ENVID"]);
const RCPT_PARAMETERS = new Set(["NOTIFY", "ORCPT"]);

/** The parameters of the command that we do not offer, upper-case; empty when all are known. */
export function unknownParameters(command: "MAIL" | "RCPT", address: SMTPServerAddress): string[] {
  const args = address.args ? Object.keys(address.args as Record<string, unknown>) : [];
  const known = command === "MAIL" ? MAIL_PARAMETERS : RCPT_PARAMETERS;
  return args.filter((k) => !known.has(k.toUpperCase()));
}

export function isBarePostmaster(address: string): boolean {
  return address.toLowerCase() === "postmaster";
}

/** Where a domainless postmaster recipient goes; null when there is no local domain at all. */
export async function postmasterTarget(db: Db, lookup: Db | DirectoryLookup): Promise<string | null> {
  const domain = await db.domain.findFirst({ orderBy: [{ createdAt: "asc" }, { name: "asc" }], select: { name: true } });
  if (!domain) return null;
  const address = `postmaster@${domain.name}`;
  if ((await resolveRecipient(lookup, address)).kind === "local") return address;
  const admin = await db.account.findFirst({ where: { role: "admin", disabled: false }, orderBy: { createdAt: "asc" }, select: { email: true } });
  return admin?.email ?? address;
}
