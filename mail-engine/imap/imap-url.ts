/**
 * The part of the IMAP URL scheme (RFC 5092) that CATENATE (RFC 4469 3) needs: a relative
 * URL naming a message, or a part of one, on this server in this session:
 *
 *   "/" enc-mailbox [";UIDVALIDITY=" nz-number] "/;UID=" nz-number
 *       ["/;SECTION=" enc-section] ["/;PARTIAL=" number ["." nz-number]]
 *
 * RFC 4469 3: only relative URLs (no scheme, no server) are in scope, and a server
 * implementing only CATENATE answers NO to anything else; so absolute URLs, URLAUTH
 * (RFC 4467) and EXPIRE are refused here, as is anything that does not name one message.
 */

export interface MessageUrl {
  /** The mailbox name as stored (RFC 5092 3.3: UTF-8, %-encoded in the URL). */
  mailbox: string;
  uidValidity: number | null;
  uid: number;
  /** The section as FETCH BODY[] takes it (upper case), "" for the whole message. */
  section: string;
  /** RFC 5092 3.5 ipartial: offset and optional length, as FETCH's <offset.length>. */
  partial: [number, number | null] | null;
}

export class UrlError extends Error {}

const NZ = /^[1-9]\d{0,9}$/;

/** RFC 3986 2.1 percent-decoding; the bytes are UTF-8 (RFC 5092 3.3, 3.4). */
function pctDecode(s: string, what: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) throw new UrlError(`bad %-escape in the ${what}`);
  const bytes = Buffer.from(s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) throw new UrlError(`the ${what} is not UTF-8`);
  return text;
}

function nz(v: string, what: string): number {
  if (!NZ.test(v) || Number(v) > 0xffffffff) throw new UrlError(`${what} must be a number from 1`);
  return Number(v);
}

export function parseMessageUrl(url: string): MessageUrl {
  // RFC 4469 3: relative URLs only, rooted at "imap://user@server/".
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) throw new UrlError("only URLs relative to this server are supported (RFC 4469 3)");
  if (!url.startsWith("/") || url.startsWith("//")) throw new UrlError("the URL must start with /mailbox");
  // The mailbox may hold "/" (the hierarchy separator); the message part starts at "/;UID=".
  const at = url.search(/\/;uid=/i);
  if (at < 0) throw new UrlError("the URL names no message (/;UID=n)");
  let box = url.slice(1, at);
  let uidValidity: number | null = null;
  const v = /;uidvalidity=([^;/]*)$/i.exec(box);
  if (v) {
    uidValidity = nz(v[1], "UIDVALIDITY");
    box = box.slice(0, v.index);
  }
  if (!box || box.includes(";")) throw new UrlError("bad mailbox in the URL");
  let mailbox = pctDecode(box, "mailbox");
  // RFC 3501 5.1: INBOX in any case is INBOX.
  if (/^inbox(\/|$)/i.test(mailbox)) mailbox = "INBOX" + mailbox.slice(5);
  const segments = url.slice(at + 1).split("/");
  let uid = 0;
  let section: string | null = null;
  let partial: [number, number | null] | null = null;
  for (const [i, seg] of segments.entries()) {
    const m = /^;([a-z]+)=(.*)$/i.exec(seg);
    const key = m?.[1].toUpperCase();
    // RFC 5092 6: iuid, then isection, then ipartial, each at most once.
    if (i === 0 && key === "UID") uid = nz(m![2], "UID");
    else if (key === "SECTION" && section === null && !partial) section = pctDecode(m![2], "section").toUpperCase();
    else if (key === "PARTIAL" && !partial) {
      const p = /^(\d{1,10})(?:\.([1-9]\d{0,9}))?$/.exec(m![2]);
      if (!p) throw new UrlError("PARTIAL must be offset[.length]");
      partial = [Number(p[1]), p[2] === undefined ? null : Number(p[2])];
    } else throw new UrlError(key === "URLAUTH" || key === "EXPIRE" ? "URLAUTH is not supported" : `unexpected ${JSON.stringify(seg.slice(0, 40))} in the URL`);
  }
  return { mailbox, uidValidity, uid, section: section ?? "", partial };
}
