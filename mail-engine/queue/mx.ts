/**
 * Where mail for a domain goes (RFC 5321 5.1): its MX hosts in preference order, or the
 * domain itself when it has no MX (the implicit MX), or nowhere when it publishes a null
 * MX (RFC 7505: "0 ." — a permanent failure at once). Look-ups go through DNS_SERVERS.
 */
import { Resolver } from "node:dns/promises";

export interface MxHost {
  name: string;
  preference: number;
}

export type Route =
  | { kind: "hosts"; hosts: MxHost[] }
  | { kind: "permanent"; reason: string }
  | { kind: "temporary"; reason: string };

export function dnsResolver(servers: string[]): Resolver {
  // A lost UDP answer is retried; a dead server must not hold a delivery slot for long.
  const r = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length) r.setServers(servers);
  return r;
}

const NOT_FOUND = new Set(["ENOTFOUND"]); // NXDOMAIN
const NO_DATA = new Set(["ENODATA"]); // the name exists, with no record of the type

export async function resolveRoute(resolver: Resolver, domain: string): Promise<Route> {
  let mx: Array<{ exchange: string; priority: number }>;
  try {
    mx = await resolver.resolveMx(domain);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (NOT_FOUND.has(code)) return { kind: "permanent", reason: `5.1.2 domain ${domain} does not exist (DNS NXDOMAIN)` };
    // RFC 5321 5.1: no MX records → the domain itself is the one host, at preference 0.
    if (NO_DATA.has(code)) return { kind: "hosts", hosts: [{ name: domain, preference: 0 }] };
    return { kind: "temporary", reason: `4.4.3 DNS look-up of MX for ${domain} failed (${code || (err as Error).message})` };
  }
  if (mx.length === 0) return { kind: "hosts", hosts: [{ name: domain, preference: 0 }] };
  // RFC 7505 3: a single MX with an empty exchange ("."): the domain accepts no mail.
  if (mx.some((m) => m.exchange === "" || m.exchange === ".")) return { kind: "permanent", reason: `5.1.10 domain ${domain} accepts no mail (null MX, RFC 7505)` };
  // RFC 5321 5.1: lowest preference first; equal preferences in random order to spread load.
  const hosts = mx.map((m) => ({ name: m.exchange.toLowerCase().replace(/\.$/, ""), preference: m.priority, r: Math.random() }));
  hosts.sort((a, b) => a.preference - b.preference || a.r - b.r);
  return { kind: "hosts", hosts: hosts.map(({ name, preference }) => ({ name, preference })) };
}

/** The host's addresses, IPv4 first; empty when it has none; throws on a temporary DNS error. */
export async function hostAddresses(resolver: Resolver, host: string): Promise<string[]> {
  const out: string[] = [];
  for (const fn of [() => resolver.resolve4(host), () => resolver.resolve6(host)]) {
    try {
      out.push(...(await fn()));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "";
      if (!NOT_FOUND.has(code) && !NO_DATA.has(code)) throw err;
    }
  }
  return out;
}
