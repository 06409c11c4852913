/**
 * The client address of a web request, the key of the sign-in lock-out shared with SMTP
 * AUTH and IMAP. `next start` gives our code no socket address: it keeps whatever
 * X-Forwarded-For the client sent and only fills it in when there is none, so the
 * header alone can be forged by anyone. The suite's web server (scripts/web-server.mjs)
 * therefore stamps the socket's address into an internal header whose name it puts in
 * MAILSUITE_PEER_HEADER (random per process; any client-sent copy is deleted first).
 *
 * The peer is the client, unless it is one of TRUSTED_PROXIES: then X-Forwarded-For is
 * read from the right, skipping trusted hops, and the first untrusted hop is the client
 * (hops left of it were written by the client and prove nothing).
 */
import { isIP, type BlockList } from "node:net";
import { addressList } from "../domain/networks";
import { createLogger } from "../log";

/** The environment variable naming the header the web server stamps the socket address into. */
export const PEER_HEADER_ENV = "MAILSUITE_PEER_HEADER";

type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined;

export interface ClientIpOptions {
  /** TRUSTED_PROXIES: addresses and CIDR ranges of reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
  /** The internal header holding the socket's address; default: the one named by MAILSUITE_PEER_HEADER. */
  peerHeader?: string | null;
}

function header(h: HeaderBag, name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** An address as written in a header or by a socket, without port or brackets, IPv4-mapped IPv6 as IPv4. */
export function normaliseIp(ip: string): string | null {
  let s = ip.trim();
  if (s.startsWith("[")) s = s.slice(1, s.indexOf("]") === -1 ? undefined : s.indexOf("]")); // [v6]:port
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":")); // v4:port
  if (s.toLowerCase().startsWith("::ffff:") && isIP(s.slice(7)) === 4) s = s.slice(7);
  return isIP(s) ? s.toLowerCase() : null;
}

const lists = new Map<string, BlockList>();

/** TRUSTED_PROXIES as a BlockList (entries were checked by loadConfig). */
function trustedList(entries: readonly string[]): BlockList {
  const cacheKey = entries.join(",");
  let list = lists.get(cacheKey);
  if (!list) {
    list = addressList(entries);
    lists.set(cacheKey, list);
  }
  return list;
}

let warned = false;

export function clientIp(headers: HeaderBag, opts: ClientIpOptions): string {
  const peerHeader = opts.peerHeader === undefined ? process.env[PEER_HEADER_ENV] : opts.peerHeader;
  const peer = peerHeader ? normaliseIp(header(headers, peerHeader) ?? "") : null;
  const hops = (header(headers, "x-forwarded-for") ?? "").split(",").filter((h) => h.trim() !== "");
  if (!peer) {
    // Plain `next start` / `next dev`: the rightmost hop is the socket's address when the
    // client sent no header; a client that sends one only spreads its own failures.
    if (!warned) {
      warned = true;
      createLogger({ proc: "web", component: "client-ip" }).warn("web.no_peer_address", {
        hint: "run the web app with scripts/web-server.mjs (npm start / npm run web), not next start, so sign-in throttling sees real client addresses",
      });
    }
    return normaliseIp(hops.at(-1) ?? "") ?? "unknown";
  }
  const trusted = trustedList(opts.trustedProxies);
  let client = peer;
  while (trusted.check(client, isIP(client) === 6 ? "ipv6" : "ipv4") && hops.length > 0) {
    const next = normaliseIp(hops.pop()!);
    if (!next) break; // garbage from further left: the last trusted hop is the best we know
    client = next;
  }
  return client;
}
