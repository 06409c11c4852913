/**
 * The compose form as the browser posts it (multipart/form-data: fields and attachment
 * files) to ComposeFields, and the same-origin check every state-changing compose
 * request passes (the CSRF protection of route handlers; server actions get Next's own).
 */
import type { ComposeFields } from "../compose/service";
import { isMessageId } from "./mail";

const MAX_FIELD = 2_000_000;

function str(form: FormData, name: string, max = 2000): string {
  const v = form.get(name);
  return typeof v === "string" ? v.slice(0, max) : "";
}

/** An address field as typed: split on commas and semicolons outside quotes and angle brackets. */
export function splitAddresses(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = false;
  let angle = false;
  for (const ch of value) {
    if (ch === '"') quote = !quote;
    else if (ch === "<" && !quote) angle = true;
    else if (ch === ">" && !quote) angle = false;
    if ((ch === "," || ch === ";") && !quote && !angle) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const idOrNull = (v: string) => (v && isMessageId(v) ? v : null);

export async function parseComposeForm(form: FormData): Promise<ComposeFields> {
  const files = [];
  for (const v of form.getAll("file")) {
    if (typeof v === "string") continue;
    files.push({ filename: v.name.slice(0, 255) || "attachment", contentType: v.type || "application/octet-stream", content: Buffer.from(await v.arrayBuffer()) });
  }
  const sendAtRaw = str(form, "sendAt", 40);
  const sendAt = sendAtRaw ? new Date(sendAtRaw) : null;
  return {
    from: str(form, "from", 320),
    to: splitAddresses(str(form, "to", 20_000)),
    cc: splitAddresses(str(form, "cc", 20_000)),
    bcc: splitAddresses(str(form, "bcc", 20_000)),
    subject: str(form, "subject", 998).replace(/[\r\n]+/g, " "),
    mode: str(form, "mode") === "plain" ? "plain" : "rich",
    html: str(form, "html", MAX_FIELD),
    text: str(form, "text", MAX_FIELD),
    parent: idOrNull(str(form, "parent", 64)),
    forwardAttachment: idOrNull(str(form, "forwardAttachment", 64)),
    draftId: idOrNull(str(form, "draftId", 64)),
    attachFrom: idOrNull(str(form, "attachFrom", 64)),
    keep: form.getAll("keep").map((k) => Number(k)).filter((n) => Number.isInteger(n) && n >= 0),
    files,
    sendAt: sendAt && !Number.isNaN(sendAt.getTime()) ? sendAt : null,
  };
}

/**
 * A POST from our own pages: the browser's Origin (or, without one, Sec-Fetch-Site) must
 * say same origin. A cross-site form post or fetch carries the attacker's Origin.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  if (origin) {
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return req.headers.get("sec-fetch-site") === "same-origin";
}
