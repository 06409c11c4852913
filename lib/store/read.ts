/**
 * The read side of the store for the web app: folders with unread counts, a page of a
 * folder newest first and one message (changes go through lib/store/index.ts). Every function takes the
 * account id and filters by it, so one account can never reach another's messages;
 * a message that is not the caller's is simply "not found".
 */
import type { Db } from "../db/client";
import type { AddressEntry } from "../mime/summary";
import { DEFAULT_MAILBOXES } from "./mailboxes";

export const PAGE_SIZE = 50;

export interface FolderInfo {
  id: string;
  name: string;
  specialUse: string | null;
  total: number;
  unread: number;
  highestModSeq: bigint;
}

export interface MessageListItem {
  id: string;
  uid: number;
  fromAddress: string;
  fromName: string;
  to: AddressEntry[];
  subject: string;
  snippet: string;
  internalDate: Date;
  sentDate: Date | null;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  hasAttachments: boolean;
  size: number;
}

export interface MessagePage {
  folder: FolderInfo;
  messages: MessageListItem[];
  /** 1-based, clamped to [1, pageCount]. */
  page: number;
  pageCount: number;
  pageSize: number;
  total: number;
  /** Cursors of the previous and next pages (listMessages' `cursor`), null at either end. */
  prev: string | null;
  next: string | null;
}

export interface MessageDetail extends MessageListItem {
  mailboxId: string;
  mailboxName: string;
  cc: AddressEntry[];
  blobHash: string;
  modSeq: bigint;
  threadId: string;
}

/** Order of the special-use folders in the folder list; other folders follow by name. */
const SPECIAL_ORDER = new Map(DEFAULT_MAILBOXES.map((m, i) => [m.specialUse, i]));

function folderRank(f: { specialUse: string | null }): number {
  return f.specialUse !== null && SPECIAL_ORDER.has(f.specialUse) ? SPECIAL_ORDER.get(f.specialUse)! : SPECIAL_ORDER.size;
}

/** The account's folders, special-use first (Inbox, Drafts, Sent, Archive, Junk, Trash), then by name. */
export async function listFolders(db: Db, accountId: string): Promise<FolderInfo[]> {
  // The counters are kept in the same transaction as every change (triggers): no rows are counted here.
  const boxes = await db.mailbox.findMany({ where: { accountId }, select: FOLDER_SELECT });
  return boxes.map(toFolder).sort((a, b) => folderRank(a) - folderRank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const FOLDER_SELECT = { id: true, name: true, specialUse: true, highestModSeq: true, messageCount: true, unseenCount: true } as const;

function toFolder(b: { id: string; name: string; specialUse: string | null; highestModSeq: bigint; messageCount: number; unseenCount: number }): FolderInfo {
  const { messageCount, unseenCount, ...rest } = b;
  return { ...rest, total: messageCount, unread: unseenCount };
}

/** One folder of the account by its full name ("INBOX" case-insensitively, RFC 3501 5.1), or null. */
export async function findFolder(db: Db, accountId: string, name: string): Promise<FolderInfo | null> {
  const wanted = name.toUpperCase() === "INBOX" ? "INBOX" : name;
  const box = await db.mailbox.findUnique({ where: { accountId_name: { accountId, name: wanted } }, select: FOLDER_SELECT });
  return box ? toFolder(box) : null;
}

/** Clamps a requested page number (any input) to [1, pageCount]. */
export function clampPage(requested: unknown, pageCount: number): number {
  const n = typeof requested === "number" ? requested : Number.parseInt(String(requested ?? ""), 10);
  if (!Number.isFinite(n) || n < 1) return 1;
  return Math.min(Math.floor(n), Math.max(1, pageCount));
}

export const LIST_SELECT = {
  id: true,
  uid: true,
  fromAddress: true,
  fromName: true,
  toAddresses: true,
  subject: true,
  snippet: true,
  internalDate: true,
  sentDate: true,
  seen: true,
  flagged: true,
  answered: true,
  draft: true,
  hasAttachments: true,
  size: true,
} as const;

export type ListRow = Omit<MessageListItem, "to"> & { toAddresses: string };

/** The stored JSON address list ([{name,address}]); [] when empty or damaged. */
export function parseAddressList(json: string): AddressEntry[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return [];
    return v
      .filter((a): a is Record<string, unknown> => typeof a === "object" && a !== null)
      .map((a) => ({ name: typeof a.name === "string" ? a.name : "", address: typeof a.address === "string" ? a.address : "" }));
  } catch {
    return [];
  }
}

export function toListItem(row: ListRow): MessageListItem {
  const { toAddresses, ...rest } = row;
  return { ...rest, to: parseAddressList(toAddresses) };
}

/**
 * A position in a folder's list: older (`o`) or newer (`n`) than the message with that
 * internal date (ms) and UID, e.g. "o1767225600000.42". The list pages by these
 * (keyset) so a page deep in a 100,000-message folder costs what the first one does.
 */
/** The list's order by internal date: newest first (the default) or oldest first. */
export type DateSort = "newest" | "oldest";

export interface ListCursor {
  dir: "older" | "newer";
  date: Date;
  uid: number;
}

export function encodeCursor(dir: "older" | "newer", m: { internalDate: Date; uid: number }): string {
  return `${dir === "older" ? "o" : "n"}${m.internalDate.getTime()}.${m.uid}`;
}

export function decodeCursor(v: unknown): ListCursor | null {
  const m = typeof v === "string" ? /^([on])(\d{1,15})\.(\d{1,10})$/.exec(v) : null;
  if (!m) return null;
  const date = new Date(Number(m[2]));
  const uid = Number(m[3]);
  if (Number.isNaN(date.getTime()) || uid > 0xffffffff) return null;
  return { dir: m[1] === "o" ? "older" : "newer", date, uid };
}

/**
 * One page of a folder, newest first (internal date, then UID, both descending; or both
 * ascending with sort "oldest"), from a
 * cursor (keyset: the (mailboxId, internalDate, uid) index, no OFFSET), or by page number
 * for links without one. `page` is the number shown ("51–100 of N"), clamped.
 * Null when the account has no folder of that name.
 */
export async function listMessages(
  db: Db,
  accountId: string,
  folderName: string,
  opts: { page?: unknown; pageSize?: number; cursor?: unknown; sort?: DateSort } = {},
): Promise<MessagePage | null> {
  const folder = await findFolder(db, accountId, folderName);
  if (!folder) return null;
  const pageSize = Math.max(1, Math.min(opts.pageSize ?? PAGE_SIZE, 500));
  const pageCount = Math.max(1, Math.ceil(folder.total / pageSize));
  const cursor = decodeCursor(opts.cursor);
  let page = clampPage(opts.page, pageCount);
  const where = { accountId, mailboxId: folder.id };
  // Later pages lie towards older messages when the newest come first, towards newer ones otherwise.
  const order = opts.sort === "oldest" ? "asc" : "desc";
  const forward = order === "desc" ? "older" : "newer";
  const firstPage = () => db.message.findMany({ where, orderBy: [{ internalDate: order }, { uid: order }], take: pageSize, select: LIST_SELECT });
  let rows: ListRow[];
  if (cursor) {
    const older = cursor.dir === "older";
    const cmp = older ? "lt" : "gt";
    const dir = older ? "desc" : "asc";
    rows = await db.message.findMany({
      // The redundant bound on internalDate alone lets the index be entered at the cursor (an OR alone makes a scan).
      where: { ...where, internalDate: { [`${cmp}e`]: cursor.date }, OR: [{ internalDate: { [cmp]: cursor.date } }, { internalDate: cursor.date, uid: { [cmp]: cursor.uid } }] },
      orderBy: [{ internalDate: dir }, { uid: dir }],
      take: pageSize,
      select: LIST_SELECT,
    });
    if (cursor.dir !== forward) {
      rows.reverse();
      // Before the first page's top (mail arrived meanwhile, or a stale link): show page 1.
      if (rows.length < pageSize) {
        rows = await firstPage();
        page = 1;
      }
    }
  } else {
    rows = page === 1 ? await firstPage() : await db.message.findMany({ where, orderBy: [{ internalDate: order }, { uid: order }], skip: (page - 1) * pageSize, take: pageSize, select: LIST_SELECT });
  }
  if (rows.length === 0) page = 1;
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    folder,
    messages: rows.map(toListItem),
    page,
    pageCount,
    pageSize,
    total: folder.total,
    prev: page > 1 && first ? encodeCursor(forward === "older" ? "newer" : "older", first) : null,
    next: page < pageCount && last && rows.length === pageSize ? encodeCursor(forward, last) : null,
  };
}

/**
 * The messages on either side of one in its folder's date order (the open message's j
 * and k): the next older and the next newer, by the list's keyset (internal date, UID).
 */
export async function adjacentMessages(db: Db, accountId: string, mailboxId: string, at: { internalDate: Date; uid: number }): Promise<{ older: string | null; newer: string | null }> {
  const side = (cmp: "lt" | "gt") => {
    const dir = cmp === "lt" ? "desc" : "asc";
    return db.message.findFirst({
      // As listMessages: the bound on internalDate alone enters the index at the message.
      where: { accountId, mailboxId, internalDate: { [`${cmp}e`]: at.internalDate }, OR: [{ internalDate: { [cmp]: at.internalDate } }, { internalDate: at.internalDate, uid: { [cmp]: at.uid } }] },
      orderBy: [{ internalDate: dir }, { uid: dir }],
      select: { id: true },
    });
  };
  const [older, newer] = await Promise.all([side("lt"), side("gt")]);
  return { older: older?.id ?? null, newer: newer?.id ?? null };
}

/** One message of the account, or null (also when the id belongs to another account). */
export async function getMessage(db: Db, accountId: string, messageId: string): Promise<MessageDetail | null> {
  if (typeof messageId !== "string" || messageId.length === 0 || messageId.length > 64) return null;
  const row = await db.message.findFirst({
    where: { id: messageId, accountId },
    select: {
      ...LIST_SELECT,
      mailboxId: true,
      ccAddresses: true,
      blobHash: true,
      modSeq: true,
      threadId: true,
      mailbox: { select: { name: true, accountId: true } },
    },
  });
  // The mailbox check is belt and braces: a message row and its mailbox share an owner.
  if (!row || row.mailbox.accountId !== accountId) return null;
  const { ccAddresses, mailbox, mailboxId, blobHash, modSeq, threadId, ...list } = row;
  return { ...toListItem(list), mailboxId, mailboxName: mailbox.name, cc: parseAddressList(ccAddresses), blobHash, modSeq, threadId };
}

export interface ThreadItem extends MessageListItem {
  mailboxName: string;
}

/** Most messages of one conversation shown with an open message. */
const THREAD_LIMIT = 100;

/**
 * The account's messages of one conversation (the store's threadId, from Message-ID,
 * In-Reply-To and References), from every folder (Sent included), oldest first.
 */
export async function listThread(db: Db, accountId: string, threadId: string): Promise<ThreadItem[]> {
  if (!threadId) return [];
  const rows = await db.message.findMany({
    where: { accountId, threadId },
    orderBy: [{ internalDate: "asc" }, { uid: "asc" }],
    take: THREAD_LIMIT,
    select: { ...LIST_SELECT, mailbox: { select: { name: true } } },
  });
  return rows.map(({ mailbox, ...r }) => ({ ...toListItem(r), mailboxName: mailbox.name }));
}

export interface ConversationItem extends MessageListItem {
  /** Messages of the conversation in every folder. */
  count: number;
  /** Its messages in this folder (what a bulk action on the row changes). */
  memberIds: string[];
  /** Whether any of its messages in this folder is unread. */
  anyUnread: boolean;
}

/** Rows read per round while gathering a page of conversations; rounds are bounded. */
const CONVERSATION_BATCH = 200;
const CONVERSATION_ROUNDS = 10;

/**
 * One page of a folder as conversations: each conversation once, by its newest message
 * in the folder, newest first; the same keyset cursor as listMessages (older only: the
 * newer link goes back to the first page). A message without a thread id is its own.
 */
export async function listConversations(
  db: Db,
  accountId: string,
  folderName: string,
  opts: { pageSize?: number; cursor?: unknown } = {},
): Promise<{ folder: FolderInfo; items: ConversationItem[]; older: string | null; first: boolean } | null> {
  const folder = await findFolder(db, accountId, folderName);
  if (!folder) return null;
  const pageSize = Math.max(1, Math.min(opts.pageSize ?? PAGE_SIZE, 500));
  const start = decodeCursor(opts.cursor);
  let cursor = start && start.dir === "older" ? start : null;
  const where = { accountId, mailboxId: folder.id };
  const seen = new Set<string>();
  const picked: ListRow[] = [];
  const threadOf = new Map<string, string>();
  let exhausted = false;
  let full = false;
  for (let round = 0; round < CONVERSATION_ROUNDS && picked.length < pageSize && !exhausted; round++) {
    const c = cursor;
    const rows = await db.message.findMany({
      where: c ? { ...where, internalDate: { lte: c.date }, OR: [{ internalDate: { lt: c.date } }, { internalDate: c.date, uid: { lt: c.uid } }] } : where,
      orderBy: [{ internalDate: "desc" }, { uid: "desc" }],
      take: CONVERSATION_BATCH,
      select: { ...LIST_SELECT, threadId: true },
    });
    exhausted = rows.length < CONVERSATION_BATCH;
    // Conversations with a message newer than where this page starts were shown on an earlier page.
    const fresh = rows.map((r) => r.threadId).filter((t) => t && !seen.has(t));
    const before = start && fresh.length
      ? await db.message.findMany({
          where: { ...where, threadId: { in: [...new Set(fresh)].slice(0, 500) }, OR: [{ internalDate: { gt: start.date } }, { internalDate: start.date, uid: { gte: start.uid } }] },
          select: { threadId: true },
          distinct: ["threadId"],
        })
      : [];
    for (const b of before) seen.add(b.threadId);
    for (const { threadId, ...r } of rows) {
      cursor = { dir: "older", date: r.internalDate, uid: r.uid };
      const key = threadId || `id:${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      threadOf.set(r.id, threadId);
      picked.push(r);
      if ((full = picked.length === pageSize)) break;
    }
  }
  const threads = [...new Set([...threadOf.values()].filter(Boolean))];
  const [counts, members] = threads.length
    ? await Promise.all([
        db.message.groupBy({ by: ["threadId"], where: { accountId, threadId: { in: threads } }, _count: { _all: true } }),
        db.message.findMany({ where: { ...where, threadId: { in: threads } }, select: { id: true, threadId: true, seen: true } }),
      ])
    : [[], []];
  const countOf = new Map(counts.map((c) => [c.threadId, c._count._all]));
  const membersOf = new Map<string, Array<{ id: string; seen: boolean }>>();
  for (const m of members) membersOf.set(m.threadId, [...(membersOf.get(m.threadId) ?? []), m]);
  const items = picked.map((r) => {
    const t = threadOf.get(r.id) ?? "";
    const mine = (t && membersOf.get(t)) || [{ id: r.id, seen: r.seen }];
    return { ...toListItem(r), count: (t && countOf.get(t)) || 1, memberIds: mine.map((m) => m.id), anyUnread: mine.some((m) => !m.seen) };
  });
  // More may follow unless the folder ran out with this page's rows all looked at.
  const more = cursor !== null && (full || !exhausted);
  return { folder, items, older: more && cursor ? encodeCursor("older", { internalDate: cursor.date, uid: cursor.uid }) : null, first: !start };
}
