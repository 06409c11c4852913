/** Headers for serving an attachment as a download, safe whatever its name and type. */
import type { RasterImageType } from "../mime/magic";

/**
 * Bidirectional formatting characters (RLO, LRE, isolates, marks): an RLO turns
 * "invoice\u202Efdp.exe" into what reads as "invoiceexe.pdf".
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A file name with no path, no control or bidirectional formatting characters and a sane length. */
export function safeFilename(name: string | null | undefined, fallback = "attachment"): string {
  let n = (name ?? "")
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(BIDI_CONTROLS, "")
    .replace(/[\\/:*?"<>|]/g, "_")
    .replace(/^[\s.]+|[\s.]+$/g, "");
  if (n.length > 180) {
    const dot = n.lastIndexOf(".");
    const ext = dot > 0 && n.length - dot <= 12 ? n.slice(dot) : "";
    n = n.slice(0, 180 - ext.length) + ext;
  }
  return n || fallback;
}

/** RFC 6266 Content-Disposition: an ASCII fallback and the UTF-8 name (RFC 8187). */
export function attachmentDisposition(filename: string, type: "attachment" | "inline" = "attachment"): string {
  const safe = safeFilename(filename);
  const ascii = safe.replace(/[^\x20-\x7e]/g, "_").replace(/[%;\\"]/g, "_");
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * The response's own policy: nothing loads, and a document opened anyway runs sandboxed
 * (no scripts, an opaque origin). proxy.ts applies it to the attachment route too, so
 * the page policy never replaces it.
 */
export const ATTACHMENT_CSP = "default-src 'none'; sandbox";

/**
 * Types a browser would run as an active document (markup that can script, or script
 * itself): served as application/octet-stream, so an attachment opened by mistake is a
 * download, never a page on our origin.
 */
const ACTIVE_TYPE = /(^text\/html$)|(^multipart\/)|(xml$)|(\+xml$)|(^text\/xsl$)|(script$)|(^text\/(ecmascript|jscript|livescript|x-javascript)$)/;

/** The declared media type when it is well formed and passive, else application/octet-stream. */
export function safeContentType(type: string | null | undefined): string {
  const t = (type ?? "").trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t)) return "application/octet-stream";
  return ACTIVE_TYPE.test(t) ? "application/octet-stream" : t;
}

export function downloadHeaders(filename: string, contentType: string, size: number, disposition: "attachment" | "inline" = "attachment"): Record<string, string> {
  return {
    "content-type": safeContentType(contentType),
    "content-length": String(size),
    "content-disposition": attachmentDisposition(filename, disposition),
    "x-content-type-options": "nosniff",
    "content-security-policy": ATTACHMENT_CSP,
    "cache-control": "private, no-store",
  };
}

/**
 * A raster image shown in place (the preview's <img>): `type` is the one its bytes were
 * verified to be (lib/mime/magic.ts rasterImageType), never the declared one; the same
 * nosniff, sandbox policy and no caching as a download.
 */
export function inlineImageHeaders(filename: string, type: RasterImageType, size: number): Record<string, string> {
  return downloadHeaders(filename, type, size, "inline");
}
