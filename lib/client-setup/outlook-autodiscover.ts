/**
 * Outlook's Autodiscover (the "POX" XML protocol of Exchange 2007 on): Outlook POSTs a
 * request naming an address to https://<domain>/autodiscover/autodiscover.xml or
 * https://autodiscover.<domain>/autodiscover/autodiscover.xml (or the host of the
 * _autodiscover._tcp SRV record) and, for an IMAP/POP3 account, reads the "outlook"
 * response schema: one Protocol element per protocol.
 * Request and response: Microsoft's [MS-OXDSCLI] and the Exchange "Autodiscover for
 * Outlook" reference (POX request/response schemas 2006 and 2006a).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { el, xmlDocument, type XmlElement } from "./xml";
import { preferredService, type MailProtocol, type MailService } from "./services";

export const REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
export const RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
export const OUTLOOK_RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/** A request body larger than this is not an Autodiscover request (Outlook's are ~400 bytes). */
export const MAX_REQUEST_BYTES = 16 * 1024;

export type AutodiscoverRequest =
  | { ok: true; email: string; schema: string }
  | { ok: false; code: AutodiscoverErrorCode; message: string };

/** Autodiscover error codes: 600 Invalid Request, 601 Provider is not available for the requested schema. */
export type AutodiscoverErrorCode = 600 | 601;

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  // Only the five predefined entities; a DOCTYPE is refused before parsing.
  processEntities: true,
  htmlEntities: false,
  parseTagValue: false,
  trimValues: true,
});

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Reads the address and the wanted response schema out of a request body. A DOCTYPE
 * (internal entities: "billion laughs", external ones: file reads) is refused outright:
 * Outlook never sends one.
 */
export function parseAutodiscoverRequest(body: string): AutodiscoverRequest {
  if (Buffer.byteLength(body) > MAX_REQUEST_BYTES) return { ok: false, code: 600, message: `the request is larger than ${MAX_REQUEST_BYTES} bytes` };
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) return { ok: false, code: 600, message: "a DOCTYPE is not allowed in an Autodiscover request" };
  if (XMLValidator.validate(body) !== true) return { ok: false, code: 600, message: "the request is not well-formed XML" };
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body) as Record<string, unknown>;
  } catch {
    return { ok: false, code: 600, message: "the request is not well-formed XML" };
  }
  const root = first(doc.Autodiscover) as Record<string, unknown> | undefined;
  const request = first(root?.Request) as Record<string, unknown> | undefined;
  const email = first(request?.EMailAddress);
  const schema = first(request?.AcceptableResponseSchema);
  if (typeof email !== "string" || email === "") return { ok: false, code: 600, message: "the request has no Autodiscover/Request/EMailAddress" };
  if (typeof schema === "string" && schema !== "" && schema !== OUTLOOK_RESPONSE_NS) {
    // e.g. the mobilesync (ActiveSync) schema: this server speaks IMAP, POP3 and SMTP only.
    return { ok: false, code: 601, message: `no settings for the response schema ${schema}; this server answers ${OUTLOOK_RESPONSE_NS}` };
  }
  return { ok: true, email, schema: OUTLOOK_RESPONSE_NS };
}

const TYPE: Record<MailProtocol, string> = { imap: "IMAP", pop3: "POP3", smtp: "SMTP" };

function protocol(s: MailService, loginName: string): XmlElement {
  const children = [
    el("Type", TYPE[s.protocol]),
    el("Server", s.host),
    el("Port", String(s.port)),
    el("DomainRequired", "off"),
    el("LoginName", loginName),
    el("SPA", "off"),
    // Encryption overrides SSL where Outlook knows it: "SSL" is implicit TLS, "TLS" is STARTTLS.
    el("SSL", "on"),
    el("Encryption", s.security === "tls" ? "SSL" : "TLS"),
    el("AuthRequired", "on"),
  ];
  if (s.protocol === "smtp") children.push(el("UsePOPAuth", "on"), el("SMTPLast", "off"));
  return el("Protocol", ...children);
}

/**
 * The settings answer. LoginName is the address asked about, echoed (escaped) whether or
 * not an account has it, so the answer tells nothing about which accounts exist.
 */
export function autodiscoverResponse(email: string, services: MailService[]): string {
  const protocols = (["imap", "pop3", "smtp"] as const)
    .map((p) => preferredService(services, p))
    .filter((s): s is MailService => s !== null)
    .map((s) => protocol(s, email));
  const account = el("Account", el("AccountType", "email"), el("Action", "settings"), ...protocols);
  return xmlDocument(el("Autodiscover", { xmlns: RESPONSE_NS }, el("Response", { xmlns: OUTLOOK_RESPONSE_NS }, account)));
}

/** An Autodiscover error document (the responseschema/2006 Error element). */
export function autodiscoverError(code: AutodiscoverErrorCode, message: string, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const error = el(
    "Error",
    { Time: time, Id: "0" },
    el("ErrorCode", String(code)),
    el("Message", code === 601 ? "Provider is not available for requested schema" : "Invalid Request"),
    el("DebugData", message),
  );
  return xmlDocument(el("Autodiscover", { xmlns: RESPONSE_NS }, el("Response", error)));
}
