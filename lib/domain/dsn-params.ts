/**
 * The SMTP DSN extension's parameters (RFC 3461 4): RET and ENVID on MAIL FROM, NOTIFY
 * and ORCPT on RCPT TO, checked and put in the form the queue stores and sends on. The
 * values come xtext-decoded (smtp-server decodes them, and refuses control characters).
 */

export interface MailDsn {
  /** RFC 3461 4.3: what a failure report returns. */
  ret: "FULL" | "HDRS" | null;
  /** RFC 3461 4.4: the sender's own id for the transaction, echoed in reports. */
  envid: string | null;
}

export interface RcptDsn {
  /** RFC 3461 4.1: "NEVER", or a comma list of SUCCESS, FAILURE, DELAY; null for the default. */
  notify: string | null;
  /** RFC 3461 4.2: "addr-type;address", the recipient as the sender first gave it. */
  orcpt: string | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

type Args = Record<string, string | boolean> | false | undefined;

const NOTIFY_WORDS = ["SUCCESS", "FAILURE", "DELAY"];
/** RFC 3461 4.4: "ENVID ... MUST NOT exceed 100 characters". */
export const MAX_ENVID = 100;
/** RFC 3461 4.2: "ORCPT ... MUST NOT exceed 500 characters". */
export const MAX_ORCPT = 500;
const PRINTABLE = /^[\x20-\x7e]+$/;
/** RFC 3461 4.2 addr-type is an atom (RFC 5322). */
const ADDR_TYPE = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+$/i;

function value(args: Args, key: string): string | undefined {
  if (!args) return undefined;
  const v = args[key];
  return typeof v === "string" ? v : undefined;
}

export function mailDsnParams(args: Args): Checked<MailDsn> {
  const ret = value(args, "RET");
  const envid = value(args, "ENVID");
  if (ret !== undefined && !/^(FULL|HDRS)$/i.test(ret)) return { ok: false, reason: `RET must be FULL or HDRS, not ${JSON.stringify(ret.slice(0, 20))} (RFC 3461 4.3)` };
  if (envid !== undefined) {
    if (envid.length > MAX_ENVID) return { ok: false, reason: `ENVID is longer than ${MAX_ENVID} characters (RFC 3461 4.4)` };
    if (!PRINTABLE.test(envid)) return { ok: false, reason: "ENVID must be printable US-ASCII, xtext-encoded (RFC 3461 4.4)" };
  }
  return { ok: true, value: { ret: ret ? (ret.toUpperCase() as MailDsn["ret"]) : null, envid: envid ?? null } };
}

export function rcptDsnParams(args: Args): Checked<RcptDsn> {
  const notify = value(args, "NOTIFY");
  const orcpt = value(args, "ORCPT");
  let n: string | null = null;
  if (notify !== undefined) {
    const words = notify.toUpperCase().split(",");
    const never = words.length === 1 && words[0] === "NEVER";
    if (!never && (words.some((w) => !NOTIFY_WORDS.includes(w)) || new Set(words).size !== words.length)) {
      return { ok: false, reason: "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY, each once (RFC 3461 4.1)" };
    }
    n = words.join(",");
  }
  let o: string | null = null;
  if (orcpt !== undefined) {
    const semi = orcpt.indexOf(";");
    const type = semi > 0 ? orcpt.slice(0, semi) : "";
    const address = semi > 0 ? orcpt.slice(semi + 1) : "";
    if (!ADDR_TYPE.test(type) || !address) return { ok: false, reason: "ORCPT must be addr-type;address, e.g. rfc822;user@example.com (RFC 3461 4.2)" };
    if (orcpt.length > MAX_ORCPT) return { ok: false, reason: `ORCPT is longer than ${MAX_ORCPT} characters (RFC 3461 4.2)` };
    // RFC 6533 3: utf-8 addresses may hold non-ASCII; the rest is printable US-ASCII.
    const ok = type.toLowerCase() === "utf-8" ? !/[\x00-\x1f\x7f]/.test(address) : PRINTABLE.test(address);
    if (!ok) return { ok: false, reason: "ORCPT's address must be printable US-ASCII, xtext-encoded (RFC 3461 4.2)" };
    o = `${type.toLowerCase()};${address}`;
  }
  return { ok: true, value: { notify: n, orcpt: o } };
}

/** xtext (RFC 3461 4): "+" and "=" and octets outside "!".."~" as "+XX". */
export function encodeXtext(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    out += byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte);
  }
  return out;
}
