/**
 * Every DNS record a mail domain needs, for `mailctl domain dns` and the admin page:
 * MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, the client-setup records (dns-records.ts), and
 * the reverse (PTR) record to ask the hosting provider for.
 */
import crypto from "node:crypto";
import type { Config } from "../config";
import { dkimTxt, type DkimKeyRow } from "../dkim/keys";
import { clientDnsRecords, type DnsRecord } from "./dns-records";
import type { ServicePorts } from "./services";

export type DomainDnsConfig = ServicePorts & Pick<Config, "bindAddress">;

/** RFC 8461 3.2: the policy file served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
export function mtaStsPolicy(hostname: string): string {
  // "testing" first: receivers report failures (TLS-RPT) without refusing mail; switch to enforce once reports are clean.
  return `version: STSv1\r\nmode: testing\r\nmx: ${hostname}\r\nmax_age: 604800\r\n`;
}

/** The records of `domain`, given its published (unretired) DKIM keys. */
export function domainDnsRecords(domain: string, config: DomainDnsConfig, keys: Pick<DkimKeyRow, "selector" | "algorithm" | "publicKey" | "active">[]): DnsRecord[] {
  const host = config.hostname.replace(/\.$/, "");
  const policy = mtaStsPolicy(host);
  // RFC 8461 3.1: id changes whenever the policy does; a digest of the policy does exactly that.
  const policyId = crypto.createHash("sha256").update(policy).digest("hex").slice(0, 20);
  const records: DnsRecord[] = [
    { name: `${domain}.`, type: "MX", value: `10 ${host}.`, note: "mail for the domain goes to this server (RFC 5321 5.1)" },
    { name: `${domain}.`, type: "TXT", value: "v=spf1 mx -all", note: "SPF: only the MX host sends the domain's mail (RFC 7208)" },
    ...keys.map((k): DnsRecord => ({
      name: `${k.selector}._domainkey.${domain}.`,
      type: "TXT",
      value: dkimTxt(k),
      note: `DKIM ${k.algorithm === "ed25519-sha256" ? "Ed25519 (RFC 8463)" : "RSA"} key${k.active ? "" : ", rotated out: keep until mail signed with it is delivered, then retire it"}`,
    })),
    { name: `_dmarc.${domain}.`, type: "TXT", value: `v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}`, note: "DMARC: unauthenticated mail claiming the domain goes to spam (RFC 7489)" },
    { name: `_mta-sts.${domain}.`, type: "TXT", value: `v=STSv1; id=${policyId}`, note: "MTA-STS: senders must use TLS to the MX (RFC 8461); serve the policy below" },
    { name: `mta-sts.${domain}.`, type: "CNAME", value: `${host}.`, note: "MTA-STS policy host (HTTPS, certificate for this name)" },
    { name: `_smtp._tls.${domain}.`, type: "TXT", value: `v=TLSRPTv1; rua=mailto:postmaster@${domain}`, note: "TLS-RPT: where senders report TLS failures (RFC 8460)" },
    ...clientDnsRecords(domain, config),
  ];
  return records;
}

/** The PTR line for the hosting provider: the reverse name of the sending address must give the host name (RFC 1912 2.1; receivers check it). */
export function ptrRequest(config: DomainDnsConfig): string {
  const specific = config.bindAddress !== "0.0.0.0" && config.bindAddress !== "::";
  const ip = specific ? config.bindAddress : "<the server's public IPv4 and IPv6 addresses>";
  return `PTR for ${ip} -> ${config.hostname.replace(/\.$/, "")}. (set by whoever owns the address, usually the hosting provider)`;
}
