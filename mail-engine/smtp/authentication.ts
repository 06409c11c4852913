/**
 * Inbound authentication on the MX listener, through mailauth: SPF (RFC 7208) for MAIL
 * FROM and HELO, DKIM (RFC 6376), DMARC (RFC 7489) with alignment, and ARC (RFC 8617),
 * turned into a verdict for the transaction and an Authentication-Results header
 * (RFC 8601) under our host name.
 *
 * Verdicts:
 *  - DMARC fails and the From domain publishes p=reject: refused (550 5.7.1);
 *    p=quarantine: delivered to Junk (RFC 7489 6.3, 6.6.4 with pct= sampling).
 *  - The From domain is one of ours and DMARC does not pass: our own users send
 *    through submission, so such mail reached port 25 forged or mangled; it never
 *    reaches an Inbox (refused under p=reject, Junk otherwise) even without a DMARC record.
 *  - From addresses in more than one domain (RFC 7489 6.6.1): refused (550 5.7.1).
 *  - A DNS temporary error during the checks (SPF, DKIM key or DMARC look-up) while
 *    DMARC did not pass: 451 4.7.x, so the sender retries instead of the mail passing
 *    unchecked (RFC 7208 2.6.6, RFC 7489 6.6.3).
 */
import { Resolver } from "node:dns/promises";
import { installKeyCache } from "./mailauth-key-cache";
import type { Readable } from "node:stream";

export type Action = "accept" | "junk" | "reject" | "tempfail";

export interface Verdict {
  action: Action;
  /** Received-SPF and Authentication-Results fields, CRLF-terminated, to put on top of the message. */
  headers: string;
  /** One line for logs and the delivery trace, e.g. "spf=pass dkim=pass dmarc=pass". */
  summary: string;
  /** Why the action is not "accept" (for the log; the client sees a generic text). */
  reason: string;
  /** The SMTP reply for reject/tempfail. */
  reply?: { code: number; enhanced: string; text: string };
}

export interface CheckInput {
  message: Readable | Buffer;
  ip: string;
  helo: string;
  mailFrom: string;
  /** Our host name: the authserv-id of the header. */
  hostname: string;
  resolver: DnsResolve;
  isLocalDomain(domain: string): Promise<boolean>;
  /** How long looked-up DKIM/ARC keys are kept (mailauth-key-cache.ts), normally DNS_CACHE_SECONDS; 0 = not at all. */
  keyCacheMs?: number;
  /** For pct= sampling (RFC 7489 6.6.4); tests may fix it. */
  random?: () => number;
}

export type DnsResolve = (name: string, rrtype: string) => Promise<never>;

/** Answers that mean "no such record" (cached like records); anything else is temporary and never cached. */
const DEFINITE = new Set(["ENOTFOUND", "ENODATA"]);
const CACHE_MAX = 10_000;

/**
 * A resolver over DNS_SERVERS (the system's when empty), shaped as mailauth calls it.
 * Answers, positive and negative, are kept for `cacheSeconds` and concurrent identical
 * questions share one query: a burst from one sender costs one look-up per record, as
 * it would behind a caching resolver (node's resolver keeps nothing). Node does not give
 * TXT records' TTLs, so the cache time is a setting (keep it short).
 */
export function dnsResolver(servers: string[], cacheSeconds = 0): DnsResolve {
  const r = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length) r.setServers(servers);
  const cache = new Map<string, { expires: number; answer: Promise<never> }>();
  return (name, rrtype) => {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expires > now) return hit.answer;
    const answer = r.resolve(name, rrtype as "TXT") as Promise<never>;
    if (cacheSeconds > 0) {
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, { expires: now + cacheSeconds * 1000, answer });
      answer.catch((err: NodeJS.ErrnoException) => {
        if (!DEFINITE.has(err.code ?? "")) cache.delete(key);
      });
    }
    return answer;
  };
}

/** RFC 7489 6.6.4: a message outside the pct= sample gets the next weaker policy. */
function sampledPolicy(policy: string, pct: number | undefined, random: () => number): string {
  if (pct === undefined || pct >= 100 || random() * 100 < pct) return policy;
  return policy === "reject" ? "quarantine" : "none";
}

export async function checkInbound(input: CheckInput): Promise<Verdict> {
  // Loaded on the first checked message: mailauth and its libraries cost ~35 MB of RSS,
  // which an engine that only receives from its own host and trusted networks never needs.
  installKeyCache(input.keyCacheMs ?? 0);
  const { authenticate } = await import("mailauth");
  const res = await authenticate(input.message, {
    ip: input.ip,
    helo: input.helo,
    sender: input.mailFrom,
    mta: input.hostname,
    resolver: input.resolver,
    disableBimi: true, // logos are not shown; the look-up would only cost time
  });
  const spf = (res.spf ? res.spf.status.result : "none") as string;
  const dkimResults = (res.dkim.results ?? []).map((r) => r.status.result as string);
  const dmarcRes = res.dmarc as false | { status: { result: string }; policy?: string; pct?: number; domain?: string };
  const dmarc = dmarcRes ? dmarcRes.status.result : "none";
  const arc = (res.arc ? (res.arc as { status: { result: string } }).status.result : "none") as string;
  const fromDomain = (res.dkim.headerFrom?.[0] ?? "").split("@").pop()?.toLowerCase() ?? "";
  const summary = `spf=${spf} dkim=${dkimResults.length ? dkimResults.join(",") : "none"} dmarc=${dmarc} arc=${arc}${fromDomain ? ` from=${fromDomain}` : ""}`;
  const verdict = (action: Action, reason: string, reply?: Verdict["reply"]): Verdict => ({ action, headers: res.headers, summary, reason, reply });

  if (dmarc !== "pass" && (spf === "temperror" || dmarc === "temperror" || dkimResults.includes("temperror"))) {
    const what = spf === "temperror" ? "SPF" : dmarc === "temperror" ? "DMARC" : "DKIM";
    // RFC 7372 3.2: 4.7.24 is the SPF validation error; 4.7.5 a cryptographic (DKIM) one.
    const enhanced = what === "SPF" ? "4.7.24" : what === "DKIM" ? "4.7.5" : "4.7.0";
    return verdict("tempfail", `${what} temporary DNS error`, { code: 451, enhanced, text: `Temporary DNS failure checking ${what}; try again later` });
  }
  // RFC 7489 6.6.1: DMARC judges one author domain; with several (two From fields, or a
  // list), a reader may see one that was never checked. Refused, as large receivers do.
  const authorDomains = new Set((res.dkim.headerFrom ?? []).map((a) => a.split("@").pop()!.toLowerCase()));
  if (authorDomains.size > 1) {
    return verdict("reject", `From names several domains (${[...authorDomains].join(", ")})`, { code: 550, enhanced: "5.7.1", text: "Message refused: its From names addresses in more than one domain, so its author cannot be authenticated (RFC 7489 6.6.1)" });
  }
  const local = fromDomain ? await input.isLocalDomain(fromDomain) : false;
  if (dmarc === "fail" && dmarcRes) {
    const policy = sampledPolicy(dmarcRes.policy ?? "none", dmarcRes.pct, input.random ?? Math.random);
    if (policy === "reject") {
      return verdict("reject", `DMARC policy of ${fromDomain} is reject`, { code: 550, enhanced: "5.7.1", text: `Message refused: it fails the DMARC policy of ${fromDomain} (RFC 7489)` });
    }
    if (policy === "quarantine" || local) return verdict("junk", `DMARC ${policy === "quarantine" ? "policy of" : "failure for our domain"} ${fromDomain}`);
  }
  if (local && dmarc !== "pass") return verdict("junk", `From claims our domain ${fromDomain} without passing DMARC`);
  return verdict("accept", "");
}

/**
 * The header section without Authentication-Results fields that claim our host name:
 * RFC 8601 5 — results under our authserv-id can only be ours, so any that arrive are forged.
 */
export function dropOurAuthResults(header: Buffer, hostname: string): Buffer {
  const text = header.toString("latin1");
  // Each field with its folded continuation lines and their CRLFs.
  const fields: string[] = [];
  for (const line of text.split(/(?<=\r\n)/)) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  const host = hostname.toLowerCase();
  const kept = fields.filter((f) => {
    const m = /^authentication-results[ \t]*:\s*(?:\([^)]*\)\s*)?([^;\s(]+)/i.exec(f);
    return !(m && m[1].toLowerCase() === host);
  });
  return kept.length === fields.length ? header : Buffer.from(kept.join(""), "latin1");
}
