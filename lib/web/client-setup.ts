/**
 * The public client-setup endpoints (Thunderbird autoconfig, Outlook Autodiscover) as
 * plain Request -> Response functions, and the signed-in user's Apple profile. The
 * route handlers under app/ only call these. No session: mail clients ask before the
 * user has signed in anywhere (proxy.ts lets these paths through).
 *
 * What an unauthenticated caller learns is limited to what DNS already publishes: which
 * domains this server handles, and its host name and ports. Whether an address has an
 * account never changes an answer.
 */
import { loadConfig, type Config } from "../config";
import { getDb, type Db } from "../db/client";
import { normaliseDomain, parseAddress } from "../domain/address";
import { createLogger } from "../log";
import { clientServices } from "../client-setup/services";
import { thunderbirdAutoconfig } from "../client-setup/thunderbird-autoconfig";
import { autodiscoverError, autodiscoverResponse, MAX_REQUEST_BYTES, parseAutodiscoverRequest } from "../client-setup/outlook-autodiscover";
import { appleMobileconfig, mobileconfigFilename, MOBILECONFIG_CONTENT_TYPE } from "../client-setup/apple-mobileconfig";

const log = createLogger({ proc: "web", component: "client-setup" });

const XML = "application/xml; charset=utf-8";
/** Settings change rarely; an hour of caching spares the database, a new domain shows within the hour at worst. */
const CACHE_FOUND = "public, max-age=3600";
/** Not found is not cached: the admin may be adding the domain right now. */
const NO_STORE = "no-store";

/** Whether this installation handles mail for the domain (a Domain row). */
export async function isServedDomain(db: Db, domain: string): Promise<boolean> {
  return (await db.domain.findUnique({ where: { name: domain }, select: { id: true } })) !== null;
}

/**
 * The domain a Thunderbird request is about: the domain of ?emailaddress= when given,
 * else the Host the client asked (autoconfig.<domain>, or <domain> for /.well-known).
 */
export function autoconfigDomain(url: URL, host: string | null): string | null {
  const email = url.searchParams.get("emailaddress");
  if (email !== null) return parseAddress(email)?.domain ?? null;
  const name = (host ?? "").replace(/:\d+$/, "").toLowerCase();
  return normaliseDomain(name.startsWith("autoconfig.") ? name.slice("autoconfig.".length) : name);
}

function notFound(message: string): Response {
  return new Response(message + "\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": NO_STORE } });
}

/** GET /.well-known/autoconfig/mail/config-v1.1.xml and /mail/config-v1.1.xml. */
export async function handleAutoconfig(req: Request, deps?: { config: Config; db: Db }): Promise<Response> {
  const config = deps?.config ?? loadConfig();
  const db = deps?.db ?? (await getDb());
  const domain = autoconfigDomain(new URL(req.url), req.headers.get("host"));
  if (!domain || !(await isServedDomain(db, domain))) {
    log.info("autoconfig.unknown-domain", { domain });
    return notFound("No mail settings here for that address: this server does not handle its domain.");
  }
  log.debug("autoconfig", { domain });
  return new Response(thunderbirdAutoconfig(domain, clientServices(config)), {
    headers: { "content-type": XML, "cache-control": CACHE_FOUND, vary: "host" },
  });
}

function autodiscoverXml(body: string, status: number, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": XML, "cache-control": NO_STORE, ...extra } });
}

/** The body as text, refusing more than `max` bytes without reading it all. */
async function readCapped(req: Request, max: number): Promise<string | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) return null;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** POST /autodiscover/autodiscover.xml: Outlook's settings request. */
export async function handleAutodiscover(req: Request, deps?: { config: Config; db: Db }): Promise<Response> {
  const body = await readCapped(req, MAX_REQUEST_BYTES);
  if (body === null) return autodiscoverXml(autodiscoverError(600, `the request is larger than ${MAX_REQUEST_BYTES} bytes`), 413);
  const parsed = parseAutodiscoverRequest(body);
  if (!parsed.ok) return autodiscoverXml(autodiscoverError(parsed.code, parsed.message), 400);
  const address = parseAddress(parsed.email);
  if (!address) return autodiscoverXml(autodiscoverError(600, "EMailAddress is not a mail address (expected local@domain)"), 400);
  const config = deps?.config ?? loadConfig();
  const db = deps?.db ?? (await getDb());
  if (!(await isServedDomain(db, address.domain))) {
    log.info("autodiscover.unknown-domain", { domain: address.domain });
    return autodiscoverXml(autodiscoverError(600, "this server does not handle mail for that address's domain"), 404);
  }
  log.debug("autodiscover", { domain: address.domain });
  // The address as the client wrote it (local part case kept): it is the login name Outlook will use.
  return autodiscoverXml(autodiscoverResponse(parsed.email.trim(), clientServices(config)), 200);
}

/** GET on the Autodiscover URL: a person in a browser, or a client probing; say what the endpoint wants. */
export function autodiscoverGet(): Response {
  return autodiscoverXml(
    autodiscoverError(600, "Autodiscover takes a POST of an Autodiscover request (outlook requestschema 2006) naming EMailAddress; Thunderbird users: /.well-known/autoconfig/mail/config-v1.1.xml"),
    405,
    { allow: "POST" },
  );
}

/** The signed-in account's .mobileconfig download. */
export function mobileconfigResponse(account: { id: string; email: string; displayName: string | null }, config: Config = loadConfig()): Response {
  const body = appleMobileconfig(account, config.hostname, clientServices(config));
  return new Response(body, {
    headers: {
      "content-type": MOBILECONFIG_CONTENT_TYPE,
      "content-disposition": `attachment; filename="${mobileconfigFilename(account.email)}"`,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
