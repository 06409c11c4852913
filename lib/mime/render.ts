/**
 * Turns a raw RFC 5322 message into what a reader shows: the header fields, the text
 * part, the HTML part sanitised for display, and the attachment list.
 *
 * The HTML is hostile input. sanitizeEmailHtml() keeps formatting only: no scripts, no
 * event handlers, no forms, frames or embedded objects, no javascript: or other
 * non-web links, and nothing that makes the reader fetch anything (remote images,
 * srcset, background attributes, CSS url()/image-set()/@import). `cid:` images that the
 * message carries itself are inlined as data: URLs when they are plain raster images.
 * htmlDocument() wraps the result in a document with its own Content-Security-Policy
 * (default-src 'none'; img-src data:; style-src 'unsafe-inline'), for a sandboxed
 * iframe's srcdoc: two independent layers, so a sanitiser miss still fetches nothing
 * and runs nothing.
 */
import { simpleParser, type AddressObject, type Attachment } from "mailparser";
import sanitizeHtml from "sanitize-html";
import { isTrackingPixel, noneBlocked, REMOTE_URL, totalBlocked, type BlockedRemoteContent } from "./remote-content";
import type { PreviewKind } from "./magic";

export interface RenderedAddress {
  name: string;
  address: string;
}

export interface RenderedAttachment {
  /** Position in the message's attachment list; the key of the download URL. */
  index: number;
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  /** An inline part the HTML refers to (cid:), not listed as a download. */
  inline: boolean;
  /** What its first bytes say can be previewed (lib/mime/magic.ts); absent: nothing. */
  preview?: PreviewKind | null;
}

export interface RenderedMessage {
  from: RenderedAddress[];
  to: RenderedAddress[];
  cc: RenderedAddress[];
  bcc: RenderedAddress[];
  replyTo: RenderedAddress[];
  subject: string;
  date: Date | null;
  messageId: string;
  /** The text/plain part (or mailparser's text rendering of the HTML when there is none). */
  text: string | null;
  /** The sanitised HTML fragment, or null when the message has no HTML part. */
  html: string | null;
  /** Remote resources (images, CSS urls) that were dropped from the HTML. */
  blockedRemoteContent: number;
  /** The same, by kind (tracking pixels named as such). */
  blocked: BlockedRemoteContent;
  /** Remote images kept because the reader asked for them (remoteImages). */
  shownImages: number;
  /** Every attachment, including inline parts (see `inline`). */
  attachments: RenderedAttachment[];
}

/** The policy of the document the HTML part is shown in. */
export const MESSAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** Inline images larger than this are not turned into data: URLs. */
const MAX_INLINE_IMAGE = 5 * 1024 * 1024;
/** Raster types that are safe as data: images (no SVG: it is a document format). */
const SAFE_IMAGE_TYPE = /^image\/(png|gif|jpe?g|webp|bmp)$/i;
const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]*$/i;
const PARSE_OPTIONS = { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 8 * 1024 * 1024 } as const;

function addresses(obj: AddressObject | AddressObject[] | undefined): RenderedAddress[] {
  if (!obj) return [];
  const out: RenderedAddress[] = [];
  const walk = (items: AddressObject["value"]) => {
    for (const a of items) {
      if (a.group) walk(a.group);
      else if (a.address || a.name) out.push({ name: a.name ?? "", address: a.address ?? "" });
    }
  };
  for (const o of Array.isArray(obj) ? obj : [obj]) walk(o.value);
  return out;
}

function isListedAttachment(a: Attachment): boolean {
  return a.contentDisposition !== "inline" || !a.related;
}

export async function renderMessage(raw: Buffer, opts: { remoteImages?: boolean } = {}): Promise<RenderedMessage> {
  const parsed = await simpleParser(raw, PARSE_OPTIONS);
  const cidImages = new Map<string, string>();
  parsed.attachments.forEach((a) => {
    const cid = a.cid ?? a.contentId?.replace(/^<|>$/g, "");
    if (cid && SAFE_IMAGE_TYPE.test(a.contentType) && a.size <= MAX_INLINE_IMAGE) {
      cidImages.set(cid, `data:${a.contentType.toLowerCase()};base64,${a.content.toString("base64")}`);
    }
  });
  let html: string | null = null;
  let blocked = noneBlocked();
  let shownImages = 0;
  if (typeof parsed.html === "string" && parsed.html.trim() !== "") {
    const clean = sanitizeEmailHtml(parsed.html, { cidImages, remoteImages: opts.remoteImages });
    html = clean.html;
    blocked = clean.blocked;
    shownImages = clean.shownImages;
  }
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    bcc: addresses(parsed.bcc),
    replyTo: addresses(parsed.replyTo),
    subject: parsed.subject ?? "",
    date,
    messageId: parsed.messageId ?? "",
    text: parsed.text ?? null,
    html,
    blockedRemoteContent: totalBlocked(blocked),
    blocked,
    shownImages,
    attachments: parsed.attachments.map((a, index) => ({
      index,
      filename: a.filename || `attachment-${index + 1}`,
      contentType: declaredType(a.headers.get("content-type")), // as declared; see extractAttachment
      size: a.size ?? a.content.length,
      contentId: a.cid ?? null,
      inline: !isListedAttachment(a),
    })),
  };
}

/** A part's declared media type (the Content-Type header's value), application/octet-stream when absent. */
function declaredType(header: unknown): string {
  const value = typeof header === "string" ? header : (header as { value?: unknown } | undefined)?.value;
  return typeof value === "string" && value.trim() ? value.trim().toLowerCase() : "application/octet-stream";
}

/** The bytes of one attachment of a raw message, or null when there is no such index. */
export async function extractAttachment(
  raw: Buffer,
  index: number,
): Promise<{ filename: string; contentType: string; content: Buffer } | null> {
  if (!Number.isInteger(index) || index < 0) return null;
  const parsed = await simpleParser(raw, PARSE_OPTIONS);
  const a = parsed.attachments[index];
  if (!a) return null;
  return {
    filename: a.filename || `attachment-${index + 1}`,
    // The type the part declares (RFC 2045 5), not mailparser's contentType, which guesses
    // one from the file name for application/octet-stream (a ".html" would become text/html).
    contentType: declaredType(a.headers.get("content-type")),
    content: a.content,
  };
}

// ---------------------------------------------------------------------------------
// CSS

/** CSS escapes decoded (CSS Syntax 4.3.7), for checking what a stylesheet really says. */
function decodeCssEscapes(css: string): string {
  return css.replace(/\\(?:([0-9a-f]{1,6})[ \t\n\r\f]?|([^\n\r\f0-9a-f])|[\n\r\f])/gi, (_m, hex: string | undefined, ch: string | undefined) => {
    if (hex) {
      const cp = Number.parseInt(hex, 16);
      return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? "\ufffd" : String.fromCodePoint(cp);
    }
    return ch ?? "";
  });
}

const CSS_COMMENT = /\/\*[\s\S]*?(?:\*\/|$)/g;
const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)/gi;
/** Anything that can fetch or execute once url() tokens are gone (and "<", which has no business in CSS). */
const CSS_DANGER = /url\s*\(|image-set\s*\(|(?:^|[^-\w])image\s*\(|cross-fade\s*\(|element\s*\(|@import|expression\s*\(|behaviou?r\s*:|binding|javascript:|vbscript:|\\|</i;

/**
 * Removes everything in a stylesheet or style attribute that would fetch a resource:
 * url() becomes `none` (data: raster images stay), @import goes. Returns null when
 * something dangerous is left that cannot be removed surgically (escape tricks,
 * expression(), bindings...), so that the caller drops the whole style.
 */
export function cleanCss(css: string, counter: { blocked: number } = { blocked: 0 }): string | null {
  let out = css.replace(CSS_COMMENT, "");
  out = out.replace(/@import\b[^;]*;?/gi, () => {
    counter.blocked++;
    return "";
  });
  out = out.replace(CSS_URL, (m, dq: string | undefined, sq: string | undefined, bare: string | undefined) => {
    const value = (dq ?? sq ?? bare ?? "").trim();
    if (SAFE_DATA_IMAGE.test(value)) return m;
    counter.blocked++;
    return "none";
  });
  // What is left must be harmless once escapes are decoded; data: images are the only url() kept.
  const check = decodeCssEscapes(out).replace(CSS_URL, (m, dq: string | undefined, sq: string | undefined, bare: string | undefined) =>
    SAFE_DATA_IMAGE.test((dq ?? sq ?? bare ?? "").trim()) ? "none" : m,
  );
  if (CSS_DANGER.test(check)) {
    counter.blocked++;
    return null;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// HTML

const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  "img",
  "style",
  "font",
  "center",
  "big",
  "strike",
  "tt",
  "del",
  "ins",
];

const GLOBAL_ATTRIBUTES = [
  "style",
  "class",
  "id",
  "title",
  "align",
  "valign",
  "dir",
  "lang",
  "width",
  "height",
  "bgcolor",
  "color",
  "border",
  "role",
  "aria-*",
];

export interface SanitizeOptions {
  /** Content-ID (without angle brackets) -> data: URL of the image the message carries. */
  cidImages?: Map<string, string>;
  /**
   * Keep <img> with http(s) sources: the reader asked to see this message's images. Remote
   * styles (CSS url(), background attributes) stay blocked either way.
   */
  remoteImages?: boolean;
}

/** Sanitises an e-mail's HTML part for display; see the file comment for what goes. */
export function sanitizeEmailHtml(html: string, opts: SanitizeOptions = {}): { html: string; blockedRemoteContent: number; blocked: BlockedRemoteContent; shownImages: number } {
  const counter = { blocked: 0 }; // styles (cleanCss counts into it)
  const blocked = noneBlocked();
  let shownImages = 0;
  const cidImages = opts.cidImages ?? new Map<string, string>();

  const transform = (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    const out: sanitizeHtml.Attributes = { ...attribs };
    if (out.style !== undefined) {
      const css = cleanCss(out.style, counter);
      if (css === null || css.trim() === "") delete out.style;
      else out.style = css;
    }
    if (out.background !== undefined || out.srcset !== undefined || out.poster !== undefined) blocked.images++;
    delete out.background;
    delete out.srcset;
    if (tagName === "img") {
      const src = (out.src ?? "").trim();
      delete out.src;
      if (/^cid:/i.test(src)) {
        let cid = src.slice(4);
        try {
          cid = decodeURIComponent(cid);
        } catch {
          /* keep as is */
        }
        const data = cidImages.get(cid) ?? cidImages.get(cid.replace(/^<|>$/g, ""));
        if (data) out.src = data;
      } else if (SAFE_DATA_IMAGE.test(src)) {
        out.src = src;
      } else if (opts.remoteImages && /^https?:\/\//i.test(src)) {
        out.src = src;
        shownImages++;
      } else if (src !== "") {
        blocked.images++;
        if (REMOTE_URL.test(src) && isTrackingPixel(src, attribs)) blocked.trackers++;
      }
    }
    if (tagName === "a") {
      const href = (out.href ?? "").trim();
      if (/^(https?:|mailto:)/i.test(href)) {
        out.target = "_blank";
        out.rel = "noopener noreferrer";
      } else if (!href.startsWith("#")) {
        delete out.href;
        delete out.target;
      }
    }
    return { tagName, attribs: out };
  };

  let clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowVulnerableTags: true, // <style> only; its text is cleaned below
    nonTextTags: ["script", "textarea", "option", "xmp", "title", "noembed", "noframes", "template", "iframe", "object"],
    allowedAttributes: {
      "*": GLOBAL_ATTRIBUTES,
      a: ["href", "name", "target", "rel"],
      img: ["src", "alt"],
      font: ["face", "size", "color"],
      td: ["colspan", "rowspan", "nowrap"],
      th: ["colspan", "rowspan", "nowrap", "scope"],
      table: ["cellpadding", "cellspacing", "summary"],
      col: ["span"],
      colgroup: ["span"],
      ol: ["start", "type", "reversed"],
      ul: ["type"],
      li: ["value"],
      style: ["type", "media"],
    },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: opts.remoteImages ? ["data", "http", "https"] : ["data"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    transformTags: { "*": transform },
  });

  // <style> text is passed through raw by sanitize-html (it cannot contain "</style");
  // clean it here, dropping a stylesheet that cannot be made safe.
  clean = clean.replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style>)/gi, (_m, open: string, css: string, close: string) => {
    const safe = cleanCss(css, counter);
    return safe === null ? "" : open + safe + close;
  });
  blocked.styles = counter.blocked;
  return { html: clean, blockedRemoteContent: totalBlocked(blocked), blocked, shownImages };
}

const BASE_STYLE =
  "html,body{margin:0;padding:0;background:#fff;color:#1f2937}" +
  "body{padding:16px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;overflow-wrap:anywhere}" +
  "img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}";

/**
 * A complete document for an iframe's srcdoc, with its own CSP before any content;
 * `remoteImages` (the reader asked for them) lets http(s) images load, nothing else.
 */
export function htmlDocument(sanitisedFragment: string, remoteImages = false): string {
  const csp = remoteImages ? MESSAGE_CSP.replace("img-src data:", "img-src data: http: https:") : MESSAGE_CSP;
  return (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\">" +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    "<meta name=\"referrer\" content=\"no-referrer\">" +
    `<style>${BASE_STYLE}</style></head><body>${sanitisedFragment}</body></html>`
  );
}
