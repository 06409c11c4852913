/** Header field values as the delivery parser reads them: raw bytes to text, unfolding, encoded words, parameters. */
import libmime from "libmime";

/** Header bytes as text: UTF-8 when valid (RFC 6532), else latin1, so every byte survives JSON. */
export function bytesText(binary: string): string {
  if (!/[\x80-\xff]/.test(binary)) return binary;
  const utf8 = Buffer.from(binary, "latin1").toString("utf8");
  return utf8.includes("\uFFFD") ? binary : utf8;
}

/** A header line's value: after the colon, unfolded (RFC 5322 2.2.3), trimmed, not decoded. */
export function rawValue(line: string): string {
  const colon = line.indexOf(":");
  return bytesText(line.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, "").trim());
}

export function decodeWords(value: string): string {
  if (!value.includes("=?")) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** Parameters as libmime parses them (RFC 2231 joined and decoded), encoded words in values decoded too. */
export function params(parsed: { params: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params)) out[k.toLowerCase()] = decodeWords(String(v));
  return out;
}

/** An RFC 2045 token (lower-case: values are lower-cased before the check). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
