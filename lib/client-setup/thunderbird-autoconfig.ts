/**
 * Thunderbird's autoconfig file (clientConfig version 1.1), which Thunderbird fetches
 * from https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=... and then
 * https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml before guessing.
 * Format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
 *
 * The answer depends only on the domain, never on the local part: the user name is the
 * placeholder %EMAILADDRESS%, which Thunderbird fills in itself, so the file says nothing
 * about whether an account exists.
 */
import { el, xmlDocument, type XmlElement } from "./xml";
import type { MailService } from "./services";

/** Thunderbird's socketType values. */
const SOCKET_TYPE = { tls: "SSL", starttls: "STARTTLS" } as const;

function server(kind: "incomingServer" | "outgoingServer", s: MailService): XmlElement {
  return el(
    kind,
    { type: s.protocol },
    el("hostname", s.host),
    el("port", String(s.port)),
    el("socketType", SOCKET_TYPE[s.security]),
    // The password travels as is, inside TLS: the suite has no CRAM-MD5 (it would need the clear password stored).
    el("authentication", "password-cleartext"),
    el("username", "%EMAILADDRESS%"),
  );
}

/** The config-v1.1.xml document for one served domain (already normalised). */
export function thunderbirdAutoconfig(domain: string, services: MailService[]): string {
  const incoming = services.filter((s) => s.protocol !== "smtp").map((s) => server("incomingServer", s));
  const outgoing = services.filter((s) => s.protocol === "smtp").map((s) => server("outgoingServer", s));
  const provider = el(
    "emailProvider",
    { id: domain },
    el("domain", domain),
    el("displayName", `Mail for ${domain}`),
    el("displayShortName", domain),
    // The first incoming server is the one Thunderbird proposes; the others are alternatives.
    ...incoming,
    ...outgoing,
  );
  return xmlDocument(el("clientConfig", { version: "1.1" }, provider));
}
