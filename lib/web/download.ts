/** Headers for serving an attachment as a download, safe whatever its name and type. */

/** A file name with no path, no control characters and a sane length. */
export function safeFilename(name: string | null | undefined, fallback = "attachment"): string {
  let n = (name ?? "")
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
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
export function attachmentDisposition(filename: string): string {
  const safe = safeFilename(filename);
  const ascii = safe.replace(/[^\x20-\x7e]/g, "_").replace(/[%;\\"]/g, "_");
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The declared media type when it is well formed, else application/octet-stream. */
export function safeContentType(type: string | null | undefined): string {
  const t = (type ?? "").trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : "application/octet-stream";
}

export function downloadHeaders(filename: string, contentType: string, size: number): Record<string, string> {
  return {
    "content-type": safeContentType(contentType),
    "content-length": String(size),
    "content-disposition": attachmentDisposition(filename),
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private, no-store",
  };
}
