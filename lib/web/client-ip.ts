/**
 * The client address a web request comes from: the first hop of X-Forwarded-For (set
 * by a reverse proxy in front of the web app; `next start` sets it to the socket's
 * address when no proxy did), else X-Real-IP, else "unknown". It keys the sign-in
 * lock-out shared with SMTP AUTH and IMAP. Without a proxy a client can forge the
 * header; the per-account count in lib/auth/authenticate.ts bounds what that buys.
 */
import { isIP } from "node:net";

type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined;

function header(h: HeaderBag, name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

function normalise(ip: string): string | null {
  let s = ip.trim();
  if (s.startsWith("[")) s = s.slice(1, s.indexOf("]") === -1 ? undefined : s.indexOf("]")); // [v6]:port
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":")); // v4:port
  if (s.startsWith("::ffff:") && isIP(s.slice(7)) === 4) s = s.slice(7);
  return isIP(s) ? s.toLowerCase() : null;
}

export function clientIp(headers: HeaderBag): string {
  const forwarded = header(headers, "x-forwarded-for");
  const first = forwarded?.split(",")[0];
  const ip = (first && normalise(first)) || normalise(header(headers, "x-real-ip") ?? "");
  return ip ?? "unknown";
}
