/**
 * CATENATE (RFC 4469): an APPEND message built from literals (TEXT) and parts of messages
 * already in the user's own mailboxes (URL, RFC 5092 subset in ../imap-url.ts), copied as
 * FETCH BODY.PEEK[section]<partial> would return them (RFC 4469 3: octets unchanged, no
 * \Seen set). A URL that cannot be resolved fails the APPEND with NO [BADURL url]
 * (RFC 4469 4.1); a result over the server's message size limit with NO [TOOBIG] (4.2).
 */
import { sectionRange } from "../../../lib/mime/structure";
import { readStructure } from "../../../lib/store/parse";
import { blobRange, fetchRows, structuresOf } from "../../../lib/store/fetch-rows";
import { ParseError, str, type Token } from "../parser/tokens";
import { parseMessageUrl, UrlError } from "../imap-url";
import { filterHeader } from "../render";
import { partialRange } from "./fetch";
import { no, type Session } from "../session";

export type CatPart = { text: Buffer } | { url: string };

/** cat-part = "TEXT" SP literal / "URL" SP astring (RFC 4469 5); RFC 6855 4 adds "UTF8" SP "(" literal8 ")". */
export function parseCatenate(items: Token[]): CatPart[] {
  if (items.length === 0) throw new ParseError("CATENATE needs at least one part");
  const parts: CatPart[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const kind = items[i]?.type === "atom" ? (items[i] as { value: string }).value.toUpperCase() : "";
    const v = items[i + 1];
    if (kind === "TEXT" && v?.type === "string" && v.literal) parts.push({ text: v.value });
    else if (kind === "UTF8" && v?.type === "list" && v.items.length === 1 && v.items[0].type === "string" && v.items[0].literal) parts.push({ text: v.items[0].value });
    else if (kind === "URL") parts.push({ url: str(v, "URL") });
    else throw new ParseError("CATENATE parts are TEXT literal or URL \"url\"");
  }
  return parts;
}

/** The catenated message: parts in order, the total kept under `max` octets. */
export async function catenate(s: Session, parts: CatPart[], max: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  const add = (b: Buffer) => {
    size += b.length;
    if (size > max) throw no(`the catenated message exceeds ${max} octets`, "TOOBIG");
    out.push(b);
  };
  for (const p of parts) {
    if ("text" in p) add(p.text);
    else add(await resolveUrl(s, p.url, max - size));
  }
  return Buffer.concat(out);
}

/** BADURL's argument: any TEXT-CHAR except "]" (RFC 4469 5, url-resp-text). */
function badUrl(url: string, why: string) {
  return no(`cannot use URL: ${why}`, `BADURL ${url.replace(/[\]\r\n\0]/g, "").slice(0, 500) || "/"}`);
}

async function resolveUrl(s: Session, url: string, room: number): Promise<Buffer> {
  let u;
  try {
    u = parseMessageUrl(url);
  } catch (err) {
    if (err instanceof UrlError) throw badUrl(url, err.message);
    throw err;
  }
  const accountId = s.account!.id;
  // Only the signed-in user's own mailboxes: the look-up is scoped by account.
  const mb = await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId, name: u.mailbox } }, select: { id: true, uidValidity: true } });
  if (!mb) throw badUrl(url, "no such mailbox");
  if (u.uidValidity !== null && u.uidValidity !== mb.uidValidity) throw badUrl(url, "UIDVALIDITY has changed");
  const [row] = await fetchRows(s.ctx.store, accountId, mb.id, [u.uid], { hash: true });
  if (!row) throw badUrl(url, `no message with UID ${u.uid}`);
  let start = 0;
  let end = row.size;
  let fields: { names: string[]; not: boolean } | null = null;
  if (u.section !== "") {
    const st = readStructure((await structuresOf(s.ctx.store, [row.blobHash])).get(row.blobHash));
    // HEADER.FIELDS (names) / HEADER.FIELDS.NOT (names): a filter over the header (RFC 3501 6.4.5).
    const f = /^(.*?HEADER\.FIELDS(\.NOT)?) ?\(([^()]*)\)$/.exec(u.section);
    const range = st ? sectionRange(st.structure, f ? f[1] : u.section) : null;
    if (!range) throw badUrl(url, `no section ${u.section}`);
    if (f) fields = { names: f[3].split(" ").filter(Boolean), not: !!f[2] };
    ({ start, end } = range);
  }
  let bytes: Buffer | null = null;
  if (fields) {
    bytes = filterHeader(await blobRange(s.ctx.store, row.blobHash, start, end), fields.names, fields.not);
    start = 0;
    end = bytes.length;
  }
  if (u.partial) ({ start, end } = partialRange(start, end, u.partial));
  if (end - start > room) throw no("the catenated message would exceed the size limit", "TOOBIG");
  return bytes ? bytes.subarray(start, end) : blobRange(s.ctx.store, row.blobHash, start, end);
}
