/**
 * An Apple configuration profile (.mobileconfig) that adds one mail account to iOS,
 * iPadOS or macOS Mail: a plist with one com.apple.mail.managed payload.
 * Keys: Apple's Device Management reference, "Mail" payload (com.apple.mail.managed)
 * and "TopLevel" profile keys.
 *
 * No password goes in: the device asks for it while installing, so the file can be
 * downloaded, mailed or left in Downloads without giving the account away. The payload
 * UUIDs and identifiers are derived from the account's id, so they are random-looking,
 * differ per account and stay the same each time: installing a newer profile replaces
 * the old one instead of adding a second account.
 */
import crypto from "node:crypto";
import { escapeXml } from "./xml";
import { preferredService, type MailService } from "./services";

export const MOBILECONFIG_CONTENT_TYPE = "application/x-apple-aspen-config";

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

function plistValue(v: PlistValue, indent: string): string {
  const inner = indent + "  ";
  if (typeof v === "string") return `${indent}<string>${escapeXml(v)}</string>`;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`plist integer expected, got ${v}`);
    return `${indent}<integer>${v}</integer>`;
  }
  if (typeof v === "boolean") return `${indent}<${v}/>`;
  if (Array.isArray(v)) return [`${indent}<array>`, ...v.map((x) => plistValue(x, inner)), `${indent}</array>`].join("\n");
  const lines = [`${indent}<dict>`];
  for (const [k, x] of Object.entries(v)) lines.push(`${inner}<key>${escapeXml(k)}</key>`, plistValue(x, inner));
  lines.push(`${indent}</dict>`);
  return lines.join("\n");
}

/** An XML property list (Apple's PropertyList-1.0 DTD). */
export function plist(root: PlistValue): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plistValue(root, ""),
    "</plist>",
    "",
  ].join("\n");
}

/** A UUID (RFC 9562 layout, version 8: "custom") from a hash of the inputs: stable, unique per input. */
export function stableUuid(...parts: string[]): string {
  const h = crypto.createHash("sha256").update(parts.join("\u0000")).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex").toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface MobileconfigAccount {
  /** The account's database id: the seed of the profile's UUIDs. */
  id: string;
  email: string;
  displayName: string | null;
}

export class NoMailServiceError extends Error {}

/**
 * The profile for one account. Needs an incoming (IMAP, else POP3) and an outgoing
 * (submission) listener; without them there is nothing to set up.
 */
export function appleMobileconfig(account: MobileconfigAccount, hostname: string, services: MailService[]): string {
  const incoming = preferredService(services, "imap") ?? preferredService(services, "pop3");
  const outgoing = preferredService(services, "smtp");
  if (!incoming || !outgoing) {
    throw new NoMailServiceError("no IMAP/POP3 or no submission listener is enabled (IMAP_PORT, IMAPS_PORT, POP3_PORT, POP3S_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT are all 0)");
  }
  // Identifiers are reverse-DNS strings; the host name's labels reversed keep them ours.
  const base = hostname.split(".").filter(Boolean).reverse().join(".") || "localhost";
  const profileUuid = stableUuid("mobileconfig-profile", hostname, account.id);
  const mailUuid = stableUuid("mobileconfig-mail", hostname, account.id);
  const name = account.displayName || account.email;
  const mail: PlistValue = {
    EmailAccountDescription: account.email,
    EmailAccountName: name,
    EmailAccountType: incoming.protocol === "imap" ? "EmailTypeIMAP" : "EmailTypePOP",
    EmailAddress: account.email,
    IncomingMailServerAuthentication: "EmailAuthPassword",
    IncomingMailServerHostName: incoming.host,
    IncomingMailServerPortNumber: incoming.port,
    // Apple's "UseSSL" with a STARTTLS port (143, 110, 587) means: upgrade with STARTTLS, never send in the clear.
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: account.email,
    OutgoingMailServerAuthentication: "EmailAuthPassword",
    OutgoingMailServerHostName: outgoing.host,
    OutgoingMailServerPortNumber: outgoing.port,
    OutgoingMailServerUseSSL: true,
    OutgoingMailServerUsername: account.email,
    OutgoingPasswordSameAsIncomingPassword: true,
    PayloadDescription: `Mail account ${account.email}`,
    PayloadDisplayName: `Mail (${account.email})`,
    PayloadIdentifier: `${base}.mail.${mailUuid}`,
    PayloadType: "com.apple.mail.managed",
    PayloadUUID: mailUuid,
    PayloadVersion: 1,
    PreventAppSheet: false,
    PreventMove: false,
    SMIMEEnabled: false,
  };
  return plist({
    PayloadContent: [mail],
    PayloadDescription: `Sets up ${account.email} in Mail. You will be asked for the account's password.`,
    PayloadDisplayName: `Mail: ${account.email}`,
    PayloadIdentifier: `${base}.mobileconfig.${profileUuid}`,
    PayloadOrganization: hostname,
    PayloadRemovalDisallowed: false,
    PayloadType: "Configuration",
    PayloadUUID: profileUuid,
    PayloadVersion: 1,
  });
}

/** The download's file name: the address, with anything odd replaced. */
export function mobileconfigFilename(email: string): string {
  return `${email.replace(/[^A-Za-z0-9@._-]/g, "_")}.mobileconfig`;
}
