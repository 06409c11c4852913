/**
 * Opens the connection a destination's mail goes out on: the smart host when RELAY_HOST is
 * set, else the domain's MX hosts in preference order (mx.ts), each address in turn, until
 * one answers. MTA-STS (mta-sts.ts) may make verified TLS mandatory or rule a host out.
 * Opportunistic TLS (RFC 3207 4.1, Postfix's smtp_tls_security_level=may): when STARTTLS
 * fails on a host where TLS is not required — refused, or a handshake that breaks — the
 * same address is tried again at once on a new connection without STARTTLS, as Postfix
 * does; a host under an MTA-STS enforce policy never gets mail in plaintext.
 */
import type { Resolver } from "node:dns/promises";
import type { Config } from "../../lib/config";
import { hostAddresses, resolveRoute } from "./mx";
import type { MtaStsPolicies } from "./mta-sts";
import { ConnectionFailure, OutboundSession, type SessionTarget } from "./session";

export type Connected =
  | { kind: "session"; session: OutboundSession; host: string }
  /** Every recipient of the destination fails now (null MX, NXDOMAIN). */
  | { kind: "permanent"; reason: string }
  /** Try again later; `host` is the last one tried. */
  | { kind: "temporary"; reason: string; host?: string };

export interface ConnectDeps {
  config: Config;
  resolver: Resolver;
  sts: MtaStsPolicies | null;
}

export async function connectDestination(deps: ConnectDeps, domain: string): Promise<Connected> {
  const { config } = deps;
  const opts = { ehloName: config.hostname, localAddress: config.outboundBindAddress };
  if (config.relay) {
    const r = config.relay;
    const target: SessionTarget = {
      address: r.host,
      port: r.port,
      hostName: r.host,
      implicitTls: r.tls === "tls",
      noTls: r.tls === "none",
      // Credentials and all mail go to the relay: never over an unverified connection unless told so.
      requireVerifiedTls: r.tls !== "none",
      auth: r.user && r.password ? { user: r.user, pass: r.password } : undefined,
    };
    try {
      return { kind: "session", session: await OutboundSession.open(target, opts), host: r.host };
    } catch (err) {
      return { kind: "temporary", reason: reasonOf(err, r.host), host: r.host };
    }
  }
  const route = await resolveRoute(deps.resolver, domain);
  if (route.kind !== "hosts") return route;
  let last = `4.4.1 no answer from any mail host of ${domain}`;
  let lastHost: string | undefined;
  for (const mx of route.hosts) {
    let requireVerifiedTls = false;
    if (deps.sts) {
      try {
        const d = await deps.sts.decide(domain, mx.name);
        if (d.refuseHost) {
          last = `4.7.5 MX host ${mx.name} is not listed in ${domain}'s MTA-STS policy (RFC 8461 4.1)`;
          continue;
        }
        requireVerifiedTls = d.requireVerifiedTls;
      } catch {
        /* no usable policy: deliver as without one (RFC 8461 5) */
      }
    }
    let addresses: string[];
    try {
      addresses = await hostAddresses(deps.resolver, mx.name);
    } catch (err) {
      last = `4.4.3 DNS look-up of ${mx.name} failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      continue;
    }
    if (!addresses.length) {
      // RFC 5321 5.1: an implicit MX with no address means the domain takes no mail.
      if (route.hosts.length === 1 && mx.name === domain) return { kind: "permanent", reason: `5.1.2 ${domain} has no MX and no address` };
      last = `4.4.4 MX host ${mx.name} has no address`;
      continue;
    }
    for (const address of addresses) {
      lastHost = `${mx.name}[${address}]`;
      try {
        const target = { address, port: config.outboundSmtpPort, hostName: mx.name, requireVerifiedTls };
        const session = await OutboundSession.open(target, opts).catch(async (err: unknown) => {
          if (!(err instanceof ConnectionFailure && err.tlsFailed && !requireVerifiedTls)) throw err;
          const plain = await OutboundSession.open({ ...target, noTls: true }, opts);
          plain.plaintextReason = `plaintext after STARTTLS failed: ${(err.reply || err.message).replace(/\s+/g, " ").slice(0, 200)}`;
          return plain;
        });
        return { kind: "session", session, host: lastHost };
      } catch (err) {
        // Even a 5xx greeting only says this host will not talk now: the next MX may (RFC 5321 5.1).
        last = reasonOf(err, lastHost);
      }
    }
  }
  return { kind: "temporary", reason: last, host: lastHost };
}

function reasonOf(err: unknown, host: string): string {
  if (err instanceof ConnectionFailure && err.reply) return `${err.reply} (${host})`;
  const code = (err as NodeJS.ErrnoException).code;
  return `4.4.1 connection to ${host} failed: ${(err as Error).message}${code && !(err as Error).message.includes(code) ? ` (${code})` : ""}`;
}
