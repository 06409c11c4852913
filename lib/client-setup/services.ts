/**
 * The mail services a client connects to, as every client-setup answer lists them
 * (Thunderbird autoconfig, Outlook autodiscover, Apple profiles, SRV records): from the
 * configured host name and ports; a listener set to 0 is not running and is left out.
 * Implicit TLS comes first: RFC 8314 section 3 asks clients and servers to prefer it
 * over STARTTLS.
 */
import type { Config } from "../config";

export type MailProtocol = "imap" | "pop3" | "smtp";

/** "tls": TLS from the first byte (RFC 8314); "starttls": plain text upgraded with STARTTLS/STLS. */
export type MailSecurity = "tls" | "starttls";

export interface MailService {
  protocol: MailProtocol;
  security: MailSecurity;
  host: string;
  port: number;
}

export type ServicePorts = Pick<Config, "hostname" | "imapPort" | "imapsPort" | "pop3Port" | "pop3sPort" | "submissionPort" | "submissionsPort">;

/** Every running client service, in order of preference within each protocol. */
export function clientServices(config: ServicePorts): MailService[] {
  const host = config.hostname;
  const all: MailService[] = [
    { protocol: "imap", security: "tls", host, port: config.imapsPort },
    { protocol: "imap", security: "starttls", host, port: config.imapPort },
    { protocol: "pop3", security: "tls", host, port: config.pop3sPort },
    { protocol: "pop3", security: "starttls", host, port: config.pop3Port },
    { protocol: "smtp", security: "tls", host, port: config.submissionsPort },
    { protocol: "smtp", security: "starttls", host, port: config.submissionPort },
  ];
  return all.filter((s) => s.port > 0);
}

/** The preferred service of one protocol, or null when none of its listeners runs. */
export function preferredService(services: MailService[], protocol: MailProtocol): MailService | null {
  return services.find((s) => s.protocol === protocol) ?? null;
}
