/**
 * Mail addresses: parsing, normalisation and the plus-address rule.
 * Domains are compared in lower-case A-label form; local parts are compared
 * case-insensitively (RFC 5321 2.4 allows case-sensitive local parts, but every
 * real provider folds them and users expect it).
 */
import { domainToASCII } from "node:url";

export interface ParsedAddress {
  local: string;
  domain: string;
  /** local@domain, lower-case, domain in A-labels. */
  address: string;
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function normaliseDomain(domain: string): string | null {
  const d = domain.trim().replace(/\.$/, "");
  if (!d || d.length > 253) return null;
  const ascii = domainToASCII(d.toLowerCase());
  if (!ascii) return null;
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  return ascii;
}

/** Parses "local@domain" (no display name, no angle brackets); null when it is not an address. */
export function parseAddress(input: string): ParsedAddress | null {
  const s = input.trim();
  const at = s.lastIndexOf("@");
  if (at <= 0 || at === s.length - 1 || s.length > 254) return null;
  const localRaw = s.slice(0, at);
  if (localRaw.length > 64 || !DOT_ATOM.test(localRaw)) return null;
  const domain = normaliseDomain(s.slice(at + 1));
  if (!domain) return null;
  const local = localRaw.toLowerCase();
  return { local, domain, address: `${local}@${domain}` };
}

/** "alice+news@example.com" -> "alice@example.com"; null when there is no tag. */
export function stripPlusTag(addr: ParsedAddress): ParsedAddress | null {
  const plus = addr.local.indexOf("+");
  if (plus <= 0) return null;
  const local = addr.local.slice(0, plus);
  return { local, domain: addr.domain, address: `${local}@${addr.domain}` };
}

/** The catch-all alias key of a domain. */
export function catchAllKey(domain: string): string {
  return `@${domain}`;
}
