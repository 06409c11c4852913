/**
 * What IMAP SELECT and FETCH read: the message rows of a mailbox or a batch of UIDs (flags, size, dates, the
 * ENVELOPE and BODYSTRUCTURE rendered at delivery, on request the stored structure or
 * the message's bytes) and the bytes of a blob, over the store's read connection
 * (read-connection.ts: a read-only SQLite connection, or a small PostgreSQL pool) instead
 * of Prisma. Prisma compiled and converted every such query: 3 of the 4 ms of a
 * one-message BODY.PEEK[] and most of a 10,000-message FETCH (bench/imap.ts). Every
 * query is scoped by account and mailbox, as Prisma's were.
 */
import type { MailStore } from "./index";
import { reader } from "./read-connection";
import { inList } from "./tx";

export interface FlagRow {
  uid: number;
  seen: boolean;
  answered: boolean;
  flagged: boolean;
  deleted: boolean;
  draft: boolean;
  keywords: string;
  modSeq: bigint;
}

export interface FetchRow extends FlagRow {
  size: number;
  /** When asked for (FetchOptions.internalDate); else the epoch. */
  internalDate: Date;
  /** "" when not asked for (FetchOptions.hash) and the message has its rendering. */
  blobHash: string;
  /** ENVELOPE and BODYSTRUCTURE as FETCH sends them (imap-cache.ts), when asked for; null: not rendered yet. */
  envelope: string | null;
  bodyStructure: string | null;
  /** The message's bytes, when asked for and it is in the database and small enough. */
  data: Buffer | null;
  /** When the bytes were asked for: whether the message is a file of the blob store (not in the database). */
  inFile: boolean;
}

/** Which rows: every message, the UIDs listed, or every UID from..to (both included). */
export type RowSet = "all" | number[] | { from: number; to: number };

/** What to read besides UID, flags and size: each column costs every row (a FETCH of 10,000 reads each 10,000 times). */
export interface FetchOptions {
  internalDate?: boolean;
  /** modSeq is 0n when not asked for. */
  modSeq?: boolean;
  /** The blob's hash even for a message whose rendering is stored (for its structure or bytes). */
  hash?: boolean;
  /** The stored ENVELOPE and BODYSTRUCTURE. */
  imap?: boolean;
  /** The bytes of the messages kept in the database up to this size (body sections of a few messages). */
  bytesUpTo?: number;
}

/** DateTime as Prisma stores it: ISO text with an offset (SQLite) or UTC wall time (PostgreSQL, read as text). */
function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === "number") return new Date(v);
  const s = String(v);
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : s.replace(" ", "T") + "Z");
}

function where(pg: boolean, set: RowSet): { sql: string; params: unknown[] } {
  if (set === "all") return { sql: "", params: [] };
  if (Array.isArray(set)) return { sql: ` AND m."uid" ${inList({ dialect: pg ? "postgresql" : "sqlite" }, 3, "int")}`, params: [set] };
  return { sql: ` AND m."uid" >= $3 AND m."uid" <= $4`, params: [set.from, set.to] };
}

const bool = (v: unknown) => v === true || v === 1 || v === "1";

/**
 * The flags of `set` in the account's mailbox, ascending by UID (SELECT, and the flag
 * changes a session is told); modSeq is 0n unless asked for.
 */
export async function flagRows(store: MailStore, accountId: string, mailboxId: string, set: RowSet, withModSeq = true): Promise<FlagRow[]> {
  const db = reader(store);
  const pg = db.dialect === "postgresql";
  const w = where(pg, set);
  // The five flags as one number and no empty strings: fewer values to convert per row (SELECT reads every message).
  const int = (c: string) => (pg ? `m."${c}"::int` : `m."${c}"`);
  const rows = await db.arrays(
    `SELECT m."uid", ${int("seen")} + 2 * ${int("answered")} + 4 * ${int("flagged")} + 8 * ${int("deleted")} + 16 * ${int("draft")}, NULLIF(m."keywords", ''), ${withModSeq ? (pg ? `m."modSeq"::text` : `m."modSeq"`) : "NULL"}
    FROM "Message" m WHERE m."accountId" = $1 AND m."mailboxId" = $2${w.sql} ORDER BY m."uid"`,
    [accountId, mailboxId, ...w.params],
  );
  const out: FlagRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const f = Number(r[1]);
    out[i] = { uid: Number(r[0]), seen: (f & 1) !== 0, answered: (f & 2) !== 0, flagged: (f & 4) !== 0, deleted: (f & 8) !== 0, draft: (f & 16) !== 0, keywords: (r[2] as string | null) ?? "", modSeq: r[3] == null ? 0n : BigInt(r[3] as string | number) };
  }
  return out;
}

/** FETCH's statements by what they read: built once, not on every one-message FETCH. */
const fetchSql = new Map<string, string>();

function rowsSql(pg: boolean, opts: FetchOptions, upTo: number, whereSql: string): string {
  const cols = [`m."uid"`, `m."seen"`, `m."answered"`, `m."flagged"`, `m."deleted"`, `m."draft"`, `m."keywords"`, `m."size"`];
  cols.push(opts.internalDate ? (pg ? `m."internalDate"::text` : `m."internalDate"`) : "NULL");
  cols.push(opts.modSeq ? (pg ? `m."modSeq"::text` : `m."modSeq"`) : "NULL");
  // Without `hash`, a message whose rendering is stored needs no hash: none is read for it.
  cols.push(opts.hash || upTo > 0 || !opts.imap ? `m."blobHash"` : `CASE WHEN c."hash" IS NULL THEN m."blobHash" END`);
  cols.push(...(opts.imap ? [`c."envelope"`, `c."bodyStructure"`] : ["NULL", "NULL"]));
  cols.push(...(upTo > 0 ? [`CASE WHEN m."size" <= ${upTo} THEN b."data" END`, `CASE WHEN b."data" IS NULL THEN 1 ELSE 0 END`] : ["NULL", "0"]));
  // Uncorrelated: evaluated once per statement, not per row.
  cols.push(`(SELECT x."highestModSeq"${pg ? "::text" : ""} FROM "Mailbox" x WHERE x."id" = $2)`);
  return `SELECT ${cols.join(", ")}
    FROM "Message" m${opts.imap ? ` LEFT JOIN "BlobImap" c ON c."hash" = m."blobHash"` : ""}${upTo > 0 ? ` LEFT JOIN "Blob" b ON b."hash" = m."blobHash"` : ""}
    WHERE m."accountId" = $1 AND m."mailboxId" = $2${whereSql}
    ORDER BY m."uid"`;
}

/** The rows of `set` in the account's mailbox, ascending by UID. */
export async function fetchRows(store: MailStore, accountId: string, mailboxId: string, set: RowSet, opts: FetchOptions = {}): Promise<FetchRow[]> {
  return (await fetchRowsAndModSeq(store, accountId, mailboxId, set, opts)).rows;
}

/**
 * The rows, and the mailbox's HIGHESTMODSEQ read by the same statement (one snapshot; null
 * when no row matched): a session that sees it has not moved need not read it again after
 * the command (one read transaction per one-message FETCH instead of two).
 */
export async function fetchRowsAndModSeq(store: MailStore, accountId: string, mailboxId: string, set: RowSet, opts: FetchOptions = {}): Promise<{ rows: FetchRow[]; highestModSeq: bigint | null }> {
  const db = reader(store);
  const pg = db.dialect === "postgresql";
  const w = where(pg, set);
  const upTo = Math.floor(opts.bytesUpTo ?? 0);
  const key = `${pg ? 1 : 0}${opts.internalDate ? 1 : 0}${opts.modSeq ? 1 : 0}${opts.hash ? 1 : 0}${opts.imap ? 1 : 0} ${upTo} ${w.sql}`;
  let sql = fetchSql.get(key);
  if (sql === undefined) fetchSql.set(key, (sql = rowsSql(pg, opts, upTo, w.sql)));
  const rows = await db.arrays(sql, [accountId, mailboxId, ...w.params]);
  const out: FetchRow[] = new Array(rows.length);
  const epoch = new Date(0);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    out[i] = {
      uid: Number(r[0]),
      seen: bool(r[1]),
      answered: bool(r[2]),
      flagged: bool(r[3]),
      deleted: bool(r[4]),
      draft: bool(r[5]),
      keywords: (r[6] as string) ?? "",
      size: Number(r[7]),
      internalDate: r[8] == null ? epoch : toDate(r[8]),
      modSeq: r[9] == null ? 0n : BigInt(r[9] as string | number),
      blobHash: (r[10] as string | null) ?? "",
      envelope: (r[11] as string | null) ?? null,
      bodyStructure: (r[12] as string | null) ?? null,
      data: asBuffer(r[13]),
      inFile: Number(r[14]) === 1,
    };
  }
  return { rows: out, highestModSeq: rows.length ? BigInt(rows[0][15] as string | number) : null };
}

function asBuffer(v: unknown): Buffer | null {
  if (!v) return null;
  const u = v as Uint8Array;
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** The stored structures (Blob.structure JSON) of these blobs, by hash. */
export async function structuresOf(store: MailStore, hashes: string[]): Promise<Map<string, string | null>> {
  const db = reader(store);
  const out = new Map<string, string | null>();
  if (hashes.length === 0) return out;
  const rows = await db.all<{ hash: string; structure: string | null }>(`SELECT "hash", "structure" FROM "Blob" WHERE "hash" ${inList(db, 1)}`, [hashes]);
  for (const r of rows) out.set(r.hash, r.structure);
  return out;
}

/** Bytes start..end of a blob: from its database row when it is inline, else from the blob store's file. */
export async function blobRange(store: MailStore, hash: string, start: number, end: number): Promise<Buffer> {
  const db = reader(store);
  const row = (await db.all<{ data: Uint8Array | null }>(`SELECT "data" FROM "Blob" WHERE "hash" = $1`, [hash]))[0];
  const data = asBuffer(row?.data);
  if (data) return data.subarray(start, end);
  const files = store.blobs.files;
  if (!row || !files) return store.blobs.getRange(hash, start, end); // says why it cannot
  return files.getRange(hash, start, end);
}

/** What SELECT reads of a folder. */
export interface SelectedFolder {
  id: string;
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModSeq: bigint;
  keywords: string;
  recentUid: number;
}

/** The account's folder by name, or null. */
export async function folderByName(store: MailStore, accountId: string, name: string): Promise<SelectedFolder | null> {
  const db = reader(store);
  const pg = db.dialect === "postgresql";
  const r = (
    await db.arrays(
      `SELECT "id", "name", "uidValidity", "uidNext", ${pg ? `"highestModSeq"::text` : `"highestModSeq"`}, "keywords", "recentUid" FROM "Mailbox" WHERE "accountId" = $1 AND "name" = $2`,
      [accountId, name],
    )
  )[0];
  return r ? { id: r[0] as string, name: r[1] as string, uidValidity: Number(r[2]), uidNext: Number(r[3]), highestModSeq: BigInt(r[4] as string | number), keywords: (r[5] as string) ?? "", recentUid: Number(r[6]) } : null;
}

/** The mailbox's HIGHESTMODSEQ, which every change to it raises; null when it is gone. */
export async function mailboxModSeq(store: MailStore, mailboxId: string): Promise<bigint | null> {
  const db = reader(store);
  const col = db.dialect === "postgresql" ? `"highestModSeq"::text AS "m"` : `"highestModSeq" AS "m"`;
  const row = (await db.all<{ m: string | number }>(`SELECT ${col} FROM "Mailbox" WHERE "id" = $1`, [mailboxId]))[0];
  return row ? BigInt(row.m) : null;
}
