/**
 * The structure's reading of one MIME part's header fields (RFC 2045, 2046, 2183): type,
 * parameters, transfer encoding, id, description, MD5, location, language and disposition,
 * as IMAP BODYSTRUCTURE reports them. Only the first occurrence of each field counts.
 */
import libmime from "libmime";
import { params, rawValue, TOKEN } from "./header-fields";
import type { MimePart } from "./structure";

/**
 * Sets `p`'s fields from `first` (lower-case field name → its first whole line). Inside a
 * multipart/digest a part without Content-Type keeps the message/rfc822 default
 * (RFC 2046 5.1.5) that `p` already holds.
 */
export function readPartFields(p: MimePart, first: Map<string, string>, inDigest: boolean): void {
  const ctLine = first.get("content-type");
  let ok = false;
  if (ctLine !== undefined) {
    const ct = libmime.parseHeaderValue(rawValue(ctLine));
    const [type, subtype, extra] = String(ct.value || "").toLowerCase().trim().split("/");
    if (type && subtype && extra === undefined && TOKEN.test(type) && TOKEN.test(subtype.trim())) {
      p.type = type;
      p.subtype = subtype.trim();
      p.params = params(ct);
      ok = true;
    }
  }
  if (!ok && !(inDigest && ctLine === undefined)) {
    // RFC 2045 5.2: no (or an invalid) Content-Type is text/plain; charset=us-ascii
    p.type = "text";
    p.subtype = "plain";
    p.params = { charset: "us-ascii" };
  }
  const cte = first.get("content-transfer-encoding");
  if (cte !== undefined) {
    const v = rawValue(cte).replace(/\([^)]*\)/g, "").trim().toLowerCase();
    if (v) p.encoding = v;
  }
  const id = first.get("content-id");
  if (id !== undefined) p.id = rawValue(id);
  const desc = first.get("content-description");
  if (desc !== undefined) p.description = rawValue(desc);
  const md5 = first.get("content-md5");
  if (md5 !== undefined) p.md5 = rawValue(md5);
  const loc = first.get("content-location");
  if (loc !== undefined) p.location = rawValue(loc);
  const lang = first.get("content-language");
  if (lang !== undefined) p.language = rawValue(lang).split(/\s*,\s*/).filter(Boolean);
  const cd = first.get("content-disposition");
  if (cd !== undefined) {
    const d = libmime.parseHeaderValue(rawValue(cd));
    const type = String(d.value || "").toLowerCase().trim();
    if (type) p.disposition = { type, params: params(d) };
  }
}
