/**
 * First line in front of every request (Next.js proxy, Node runtime):
 * - a per-request nonce and a strict Content-Security-Policy for the pages; attachment
 *   downloads get their own, stricter policy instead (headers set here replace the
 *   route's, so the page policy would otherwise overwrite the route's sandbox);
 * - requests without a valid session cookie are turned away before any page code runs:
 *   pages are redirected to /login, /api/* answers 401. /login and next-auth's own
 *   /api/auth/* are open, and so are the client-setup documents mail clients fetch
 *   before anyone signs in (Thunderbird autoconfig, Outlook Autodiscover, whose path
 *   Outlook writes in either case: any case is rewritten to the route's own).
 * This is only the early check: every page, route and action still calls
 * app/_lib/session (which also checks the session row and the account).
 */
import { NextResponse, type NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";
import { loadConfig } from "./lib/config";
import { webSecret } from "./lib/web/secret";
import { ATTACHMENT_CSP } from "./lib/web/download";

/** app/mail/[folder]/[id]/attachments/[index]/route.ts and .../original/route.ts (the raw message) */
const ATTACHMENT_PATH = /^\/mail\/[^/]+\/[^/]+\/(attachments\/[^/]+|original)\/?$/;

/** lib/web/client-setup: XML for mail clients, no session, no page policy (nothing in them runs). */
const AUTOCONFIG_PATHS = new Set(["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"]);
const AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml";
const CLIENT_SETUP_CSP = "default-src 'none'";

function isPublic(pathname: string): boolean {
  return pathname === "/login" || pathname === "/api/auth" || pathname.startsWith("/api/auth/");
}

/** A message page asked with ?images=1: the reader chose to load that message's remote images. */
const MESSAGE_PATH = /^\/mail\/[^/]+\/[^/]+\/?$/;

function contentSecurityPolicy(nonce: string, remoteImages = false): string {
  const dev = process.env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Inline styles: the message iframe (srcdoc) inherits this policy, and e-mail HTML is styled inline.
    "style-src 'self' 'unsafe-inline'",
    // The message iframe (srcdoc) inherits this policy: remote images only when asked for.
    `img-src 'self' data:${remoteImages ? " http: https:" : ""}`,
    "font-src 'self'",
    "connect-src 'self'",
    // pdf.js's worker (the attachment preview), from our own origin only: no blob: or data: workers.
    "worker-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Whether next-auth names its cookies __Secure-: the same rule it uses (NEXTAUTH_URL, else the request's protocol). */
function secureCookies(req: NextRequest): boolean {
  const url = process.env.NEXTAUTH_URL;
  if (url) return url.startsWith("https://");
  const proto = req.headers.get("x-forwarded-proto");
  return proto ? proto.split(",")[0].trim() === "https" : req.nextUrl.protocol === "https:";
}

export async function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (AUTOCONFIG_PATHS.has(pathname) || pathname.toLowerCase() === AUTODISCOVER_PATH) {
    let res: NextResponse;
    if (pathname.toLowerCase() === AUTODISCOVER_PATH && pathname !== AUTODISCOVER_PATH) {
      const url = req.nextUrl.clone();
      url.pathname = AUTODISCOVER_PATH;
      res = NextResponse.rewrite(url);
    } else res = NextResponse.next();
    res.headers.set("content-security-policy", CLIENT_SETUP_CSP);
    return res;
  }
  if (!isPublic(pathname)) {
    const token = await getToken({ req, secret: webSecret(loadConfig()), secureCookie: secureCookies(req) }).catch(() => null);
    if (!token) {
      if (pathname.startsWith("/api/")) {
        return NextResponse.json({ error: "not signed in" }, { status: 401, headers: { "cache-control": "no-store" } });
      }
      const login = req.nextUrl.clone();
      login.pathname = "/login";
      login.search = pathname === "/" ? "" : `?callbackUrl=${encodeURIComponent(pathname + search)}`;
      return NextResponse.redirect(login);
    }
  }
  if (ATTACHMENT_PATH.test(pathname)) {
    const res = NextResponse.next();
    res.headers.set("content-security-policy", ATTACHMENT_CSP);
    return res;
  }
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce, MESSAGE_PATH.test(pathname) && req.nextUrl.searchParams.get("images") === "1");
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  res.headers.set("content-security-policy", csp);
  return res;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg|robots.txt).*)"],
};
