/**
 * The DNS records that let mail clients find this server from an address alone, for
 * one domain:
 * - RFC 6186 SRV records for IMAP, POP3 and submission, with RFC 8314's _submissions
 *   (section 5.1); implicit TLS gets the lower (preferred) priority, as RFC 8314
 *   section 3 asks;
 * - the autoconfig.<domain> (Thunderbird) and autodiscover.<domain> (Outlook) host
 *   names, and Outlook's _autodiscover._tcp SRV record, all pointing at the web app.
 * A service whose listener is off is published as "decidedly not available" (target
 * ".", RFC 2782 and RFC 6186 section 4), so clients do not go looking for it.
 */
import { clientServices, type MailProtocol, type MailSecurity, type ServicePorts } from "./services";

export interface DnsRecord {
  /** Fully qualified owner name, with the trailing dot. */
  name: string;
  type: "SRV" | "CNAME" | "MX" | "TXT" | "PTR";
  /** The record data as a zone file writes it. */
  value: string;
  /** What the record is for. */
  note: string;
}

const SRV: { label: string; protocol: MailProtocol; security: MailSecurity; priority: number; note: string }[] = [
  { label: "_imaps._tcp", protocol: "imap", security: "tls", priority: 0, note: "IMAP, implicit TLS (RFC 6186, RFC 8314)" },
  { label: "_imap._tcp", protocol: "imap", security: "starttls", priority: 10, note: "IMAP, STARTTLS (RFC 6186)" },
  { label: "_pop3s._tcp", protocol: "pop3", security: "tls", priority: 20, note: "POP3, implicit TLS (RFC 6186, RFC 8314)" },
  { label: "_pop3._tcp", protocol: "pop3", security: "starttls", priority: 30, note: "POP3, STLS (RFC 6186)" },
  { label: "_submissions._tcp", protocol: "smtp", security: "tls", priority: 0, note: "submission, implicit TLS (RFC 8314 section 5.1)" },
  { label: "_submission._tcp", protocol: "smtp", security: "starttls", priority: 10, note: "submission, STARTTLS (RFC 6186)" },
];

/** The records to publish for `domain` (a normalised domain name) on this installation. */
export function clientDnsRecords(domain: string, config: ServicePorts): DnsRecord[] {
  const host = `${config.hostname.replace(/\.$/, "")}.`;
  const services = clientServices(config);
  const records: DnsRecord[] = SRV.map((r) => {
    const s = services.find((x) => x.protocol === r.protocol && x.security === r.security);
    return {
      name: `${r.label}.${domain}.`,
      type: "SRV",
      value: s ? `${r.priority} 1 ${s.port} ${host}` : "0 0 0 .",
      note: s ? r.note : `${r.note}: not offered (listener off)`,
    };
  });
  records.push(
    { name: `autoconfig.${domain}.`, type: "CNAME", value: host, note: "Thunderbird autoconfig (HTTPS to the web app)" },
    { name: `autodiscover.${domain}.`, type: "CNAME", value: host, note: "Outlook Autodiscover (HTTPS to the web app)" },
    { name: `_autodiscover._tcp.${domain}.`, type: "SRV", value: `0 0 443 ${host}`, note: "Outlook Autodiscover, when autodiscover.<domain> has no certificate" },
  );
  return records;
}

/** One record as a zone file line; TXT data is quoted in character-strings of at most 255 octets (RFC 1035 3.3.14). */
export function zoneLine(r: DnsRecord, ttl = 3600): string {
  return `${r.name} ${ttl} IN ${r.type} ${r.type === "TXT" ? txtStrings(r.value) : r.value}`;
}

export function txtStrings(text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 255) parts.push(`"${text.slice(i, i + 255).replace(/["\\]/g, "\\$&")}"`);
  return parts.length ? parts.join(" ") : '""';
}
