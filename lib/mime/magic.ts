/**
 * What an attachment's bytes are, by their first bytes ("magic numbers"), never by the
 * declared Content-Type or the file name: both are the sender's to choose, the bytes are
 * what a browser decodes. Only the types the webmail previews are known here.
 */

/** Raster images an <img> decodes and never runs: no SVG (markup that can carry script). */
export type RasterImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

/** How an attachment can be previewed: a raster image shown inline, a PDF drawn by pdf.js, or not at all. */
export type PreviewKind = "image" | "pdf";

/** Bytes a caller must read from the start of a file for the checks below. */
export const MAGIC_LENGTH = 16;

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(head: Uint8Array, bytes: number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/**
 * The raster type of `head` (the file's first bytes), or null. PNG: its 8-byte signature
 * (PNG spec 5.2); JPEG: SOI then a marker (FF D8 FF); GIF: "GIF87a" / "GIF89a"; WebP: a
 * RIFF container of form type "WEBP" (RFC 9649 2.5).
 */
export function rasterImageType(head: Uint8Array): RasterImageType | null {
  if (startsWith(head, PNG)) return "image/png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) return "image/gif";
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

/**
 * A PDF's header "%PDF-" (ISO 32000-1 7.5.2). Readers accept it anywhere in the first
 * 1024 bytes; we want it first, so a polyglot (HTML, then a PDF) is not taken for one.
 */
export function isPdf(head: Uint8Array): boolean {
  return startsWith(head, ascii("%PDF-"));
}

export function previewKind(head: Uint8Array): PreviewKind | null {
  if (rasterImageType(head)) return "image";
  return isPdf(head) ? "pdf" : null;
}
