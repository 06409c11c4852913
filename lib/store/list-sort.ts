/**
 * The webmail list's orders and its slices: newest or oldest first (internal date),
 * by sender (display name, else address, case-insensitive), by subject (case-insensitive,
 * Re:/Fwd: prefixes ignored) and by size (largest first). Each order is one index on
 * (mailboxId, key, uid) in the order's own direction (migration 0011), ties broken by UID
 * so every message has one place.
 *
 * A slice is found by a keyset cursor (the key and UID of the row before it: an index
 * seek) when the caller has the row before it, else by its position: an OFFSET over the
 * same index (the virtual list's jump deep into the folder). The offset is taken on the
 * UIDs alone (an index-only walk; no row is read for the rows skipped), then the slice's
 * rows are read by UID.
 */
import type { Db } from "../db/client";
import { senderSortKey, subjectSortKey } from "./sort-keys";
import { findFolder, LIST_SELECT, toListItem, type FolderInfo, type ListRow, type MessageListItem } from "./read";

export const LIST_SORTS = ["newest", "oldest", "sender", "subject", "size"] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export { senderSortKey, subjectSortKey };

/** Any value (a cookie, a query parameter) as a sort; newest first when it names none. */
export function parseSort(v: unknown): ListSort {
  return (LIST_SORTS as readonly unknown[]).includes(v) ? (v as ListSort) : "newest";
}

type KeyColumn = "internalDate" | "sortFrom" | "sortSubject" | "size";
type Dir = "asc" | "desc";

/** Each order's key column, its direction and the UIDs' direction among equal keys. */
const ORDERS: Record<ListSort, { key: KeyColumn; dir: Dir; uid: Dir }> = {
  newest: { key: "internalDate", dir: "desc", uid: "desc" },
  oldest: { key: "internalDate", dir: "asc", uid: "asc" },
  // The same sender's (or subject's) messages newest first: the index has uid DESC.
  sender: { key: "sortFrom", dir: "asc", uid: "desc" },
  subject: { key: "sortSubject", dir: "asc", uid: "desc" },
  size: { key: "size", dir: "desc", uid: "desc" },
};

type KeyValue = Date | string | number;

/** A slice's cursor: the sort, the key and UID of the row before it (base64url JSON). */
function encodeCursor(sort: ListSort, key: KeyValue, uid: number): string {
  const k = key instanceof Date ? key.getTime() : key;
  return Buffer.from(JSON.stringify([sort, k, uid])).toString("base64url");
}

function decodeCursor(sort: ListSort, v: unknown): { key: KeyValue; uid: number } | null {
  if (typeof v !== "string" || v.length === 0 || v.length > 1200) return null;
  try {
    const [s, k, uid] = JSON.parse(Buffer.from(v, "base64url").toString("utf8")) as unknown[];
    if (s !== sort || !Number.isInteger(uid) || (uid as number) < 0 || (uid as number) > 0xffffffff) return null;
    const col = ORDERS[sort].key;
    if (col === "internalDate") return Number.isFinite(k) ? { key: new Date(k as number), uid: uid as number } : null;
    if (col === "size") return Number.isInteger(k) ? { key: k as number, uid: uid as number } : null;
    return typeof k === "string" ? { key: k, uid: uid as number } : null;
  } catch {
    return null;
  }
}

export interface ListSlice {
  folder: FolderInfo;
  sort: ListSort;
  /** Position of the first row in the folder's order (0-based). */
  start: number;
  messages: MessageListItem[];
  /** The cursor of the slice after this one (its `after`), null at the end. */
  next: string | null;
}

export const SLICE_MAX = 500;

const orderBy = (o: (typeof ORDERS)[ListSort]) => [{ [o.key]: o.dir }, { uid: o.uid }];

/** The rows after a cursor (exclusive) in the order: the bound on the key alone lets the index be entered there. */
function afterWhere(o: (typeof ORDERS)[ListSort], c: { key: KeyValue; uid: number }) {
  const cmp = o.dir === "desc" ? "lt" : "gt";
  const ucmp = o.uid === "desc" ? "lt" : "gt";
  return { [o.key]: { [`${cmp}e`]: c.key }, OR: [{ [o.key]: { [cmp]: c.key } }, { [o.key]: c.key, uid: { [ucmp]: c.uid } }] };
}

/**
 * The UIDs at positions [start, start + limit) of a folder in `sort` order: an index-only
 * walk of (mailboxId, key, uid), so the rows skipped are never read (PostgreSQL: "Index
 * Only Scan", SQLite: "COVERING INDEX"). Raw SQL, as Prisma's findMany adds "id" to any
 * select, which sends PostgreSQL to the table for every row skipped (100-200 ms at row
 * 90,000 instead of about 20). The folder is the account's (found by its owner first).
 */
function uidsAt(db: Db, mailboxId: string, sort: ListSort, start: number, limit: number): Promise<number[]> {
  type R = Promise<Array<{ uid: number | bigint }>>;
  let q: R;
  switch (sort) {
    case "newest":
      q = db.$queryRaw`SELECT "uid" FROM "Message" WHERE "mailboxId" = ${mailboxId} ORDER BY "internalDate" DESC, "uid" DESC LIMIT ${limit} OFFSET ${start}`;
      break;
    case "oldest":
      q = db.$queryRaw`SELECT "uid" FROM "Message" WHERE "mailboxId" = ${mailboxId} ORDER BY "internalDate" ASC, "uid" ASC LIMIT ${limit} OFFSET ${start}`;
      break;
    case "sender":
      q = db.$queryRaw`SELECT "uid" FROM "Message" WHERE "mailboxId" = ${mailboxId} ORDER BY "sortFrom" ASC, "uid" DESC LIMIT ${limit} OFFSET ${start}`;
      break;
    case "subject":
      q = db.$queryRaw`SELECT "uid" FROM "Message" WHERE "mailboxId" = ${mailboxId} ORDER BY "sortSubject" ASC, "uid" DESC LIMIT ${limit} OFFSET ${start}`;
      break;
    case "size":
      q = db.$queryRaw`SELECT "uid" FROM "Message" WHERE "mailboxId" = ${mailboxId} ORDER BY "size" DESC, "uid" DESC LIMIT ${limit} OFFSET ${start}`;
      break;
  }
  return q.then((rows) => rows.map((r) => Number(r.uid)));
}

/**
 * `limit` rows of the account's folder in `sort` order from position `start`, or after
 * the cursor `after` when it is one of this sort's (then `start` is only echoed back).
 * Null when the account has no folder of that name.
 */
export async function listSlice(
  db: Db,
  accountId: string,
  folderName: string,
  opts: { sort?: ListSort; start?: number; limit?: number; after?: unknown } = {},
): Promise<ListSlice | null> {
  const folder = await findFolder(db, accountId, folderName);
  if (!folder) return null;
  const sort = opts.sort ?? "newest";
  const o = ORDERS[sort];
  const limit = Math.max(1, Math.min(Math.floor(opts.limit ?? 100), SLICE_MAX));
  const start = Math.max(0, Math.floor(Number.isFinite(opts.start) ? (opts.start as number) : 0));
  const where = { accountId, mailboxId: folder.id };
  const select = { ...LIST_SELECT, sortFrom: true, sortSubject: true };
  const cursor = decodeCursor(sort, opts.after);
  let rows: Array<ListRow & { sortFrom: string; sortSubject: string }>;
  if (cursor) {
    rows = await db.message.findMany({ where: { ...where, ...afterWhere(o, cursor) }, orderBy: orderBy(o), take: limit, select });
  } else if (start === 0) {
    rows = await db.message.findMany({ where, orderBy: orderBy(o), take: limit, select });
  } else {
    // Position: the UIDs from the index alone, then their rows.
    const uids = await uidsAt(db, folder.id, sort, start, limit);
    const found = uids.length ? await db.message.findMany({ where: { ...where, uid: { in: uids } }, select }) : [];
    const byUid = new Map(found.map((r) => [r.uid, r]));
    rows = uids.map((u) => byUid.get(u)).filter((r) => r !== undefined);
  }
  const last = rows[rows.length - 1];
  const keyOf = (r: NonNullable<typeof last>): KeyValue => r[o.key];
  return {
    folder,
    sort,
    start,
    messages: rows.map(({ sortFrom: _f, sortSubject: _s, ...r }) => toListItem(r)),
    next: last && rows.length === limit ? encodeCursor(sort, keyOf(last), last.uid) : null,
  };
}

/**
 * The messages on either side of one in its folder's `sort` order (an open message's j
 * and k): `after` is the next one down the list, `before` the one above.
 */
export async function neighbourMessages(
  db: Db,
  accountId: string,
  mailboxId: string,
  at: { uid: number },
  sort: ListSort,
): Promise<{ after: string | null; before: string | null }> {
  const o = ORDERS[sort];
  const row = await db.message.findFirst({ where: { accountId, mailboxId, uid: at.uid }, select: { internalDate: true, sortFrom: true, sortSubject: true, size: true, uid: true } });
  if (!row) return { after: null, before: null };
  const c = { key: row[o.key], uid: row.uid };
  const flip = (d: Dir): Dir => (d === "asc" ? "desc" : "asc");
  const back = { key: o.key, dir: flip(o.dir), uid: flip(o.uid) };
  const one = (ord: { key: KeyColumn; dir: Dir; uid: Dir }) =>
    db.message.findFirst({ where: { accountId, mailboxId, ...afterWhere(ord, c) }, orderBy: orderBy(ord), select: { id: true } });
  const [after, before] = await Promise.all([one(o), one(back)]);
  return { after: after?.id ?? null, before: before?.id ?? null };
}
