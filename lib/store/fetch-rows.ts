/**
 * What IMAP SELECT and FETCH read: the message rows of a mailbox or a batch of UIDs (flags, size, dates, stored
 * structure) and the bytes of a blob, over the store's read connection (search.ts's
 * reader: a read-only SQLite connection, or a small PostgreSQL pool) instead of Prisma.
 * Prisma compiled and converted every such query: 3 of the 4 ms of a one-message
 * BODY.PEEK[] and most of a 10,000-message FETCH (bench/imap.ts). Every query is scoped
 * by account and mailbox, as Prisma's were.
 */
import type { MailStore } from "./index";
import { reader } from "./read-connection";
import { inList } from "./tx";

export interface FetchRow {
  id: string;
  uid: number;
  seen: boolean;
  answered: boolean;
  flagged: boolean;
  deleted: boolean;
  draft: boolean;
  keywords: string;
  size: number;
  internalDate: Date;
  modSeq: bigint;
  blobHash: string;
  /** The stored MIME structure (JSON), when asked for. */
  structure?: string | null;
}

/** DateTime as Prisma stores it: ISO text with an offset (SQLite) or UTC wall time (PostgreSQL, read as text). */
function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === "number") return new Date(v);
  const s = String(v);
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : s.replace(" ", "T") + "Z");
}

/** The rows of `uids` (or of every message) in the account's mailbox, ascending by UID. */
export async function fetchRows(store: MailStore, accountId: string, mailboxId: string, uids: number[] | "all", withStructure: boolean): Promise<FetchRow[]> {
  const db = reader(store);
  const pg = db.dialect === "postgresql";
  const sql = `SELECT m."id", m."uid", m."seen", m."answered", m."flagged", m."deleted", m."draft", m."keywords", m."size",
      ${pg ? `m."internalDate"::text AS "internalDate", m."modSeq"::text AS "modSeq"` : `m."internalDate", m."modSeq"`}, m."blobHash"${withStructure ? `, b."structure"` : ""}
    FROM "Message" m${withStructure ? ` LEFT JOIN "Blob" b ON b."hash" = m."blobHash"` : ""}
    WHERE m."accountId" = $1 AND m."mailboxId" = $2${uids === "all" ? "" : ` AND m."uid" ${inList(db, 3, "int")}`}
    ORDER BY m."uid"`;
  const rows = await db.all<Record<string, unknown>>(sql, uids === "all" ? [accountId, mailboxId] : [accountId, mailboxId, uids]);
  return rows.map((r) => ({
    id: r.id as string,
    uid: Number(r.uid),
    seen: !!r.seen,
    answered: !!r.answered,
    flagged: !!r.flagged,
    deleted: !!r.deleted,
    draft: !!r.draft,
    keywords: (r.keywords as string) ?? "",
    size: Number(r.size),
    internalDate: toDate(r.internalDate),
    modSeq: BigInt(r.modSeq as string | number),
    blobHash: r.blobHash as string,
    ...(withStructure ? { structure: (r.structure as string | null) ?? null } : {}),
  }));
}

/** Bytes start..end of a blob: from its database row when it is inline, else from the blob store's file. */
export async function blobRange(store: MailStore, hash: string, start: number, end: number): Promise<Buffer> {
  const db = reader(store);
  const row = (await db.all<{ data: Uint8Array | null }>(`SELECT "data" FROM "Blob" WHERE "hash" = $1`, [hash]))[0];
  if (row?.data) return Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength).subarray(start, end);
  return store.blobs.getRange(hash, start, end);
}

/** The mailbox's HIGHESTMODSEQ, which every change to it raises; null when it is gone. */
export async function mailboxModSeq(store: MailStore, mailboxId: string): Promise<bigint | null> {
  const db = reader(store);
  const col = db.dialect === "postgresql" ? `"highestModSeq"::text AS "m"` : `"highestModSeq" AS "m"`;
  const row = (await db.all<{ m: string | number }>(`SELECT ${col} FROM "Mailbox" WHERE "id" = $1`, [mailboxId]))[0];
  return row ? BigInt(row.m) : null;
}
