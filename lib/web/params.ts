/** Route parameters as the pages receive them. */

export type SearchParams = Record<string, string | string[] | undefined>;

export function firstParam(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A folder name from its URL segment (percent-decoded once; left as is when it does not decode). */
export function folderFromParam(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A safe place to come back to after signing in: a path on this site, never another
 * site ("//evil.example", "/\\evil.example", control characters that browsers strip),
 * and not the sign-in page or an API route. "/" otherwise.
 */
export function safeCallbackPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 2000 || !value.startsWith("/")) return "/";
  if (/[\u0000-\u0020\u007f\\]/.test(value) || value.startsWith("//")) return "/";
  let url: URL;
  try {
    url = new URL(value, "http://callback.invalid");
  } catch {
    return "/";
  }
  if (url.origin !== "http://callback.invalid") return "/";
  if (url.pathname === "/login" || url.pathname.startsWith("/login/") || url.pathname.startsWith("/api/")) return "/";
  return url.pathname + url.search + url.hash;
}
