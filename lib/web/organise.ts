/**
 * Bulk actions of the webmail (read/unread, star, archive, delete to Trash, junk, not
 * junk, move) and their undo, all through the store's ops (lib/store), per source folder.
 * An action returns the undo: the inverse changes, addressed by message id. The undo
 * comes back from the browser, so it is only trusted as far as any request is: every op
 * is scoped to the signed-in account, so a forged undo can only touch the user's own mail.
 */
import type { MailStore } from "../store";
import type { SystemFlag } from "../store";
import { isStoreError } from "../store/errors";

export type FlagAction = "read" | "unread" | "star" | "unstar";
export type MoveAction = "archive" | "trash" | "junk" | "notjunk";
export type BulkAction = FlagAction | MoveAction | { move: string };

/** The messages an action applies to: by id, or by UID per folder (a search's "all N matching"). */
export type Targets = { ids: string[] } | { byFolder: Array<{ mailboxId: string; uids: number[] }> };

export type Undo =
  | { kind: "flags"; mode: "add" | "remove"; flag: SystemFlag; groups: Array<{ mailboxId: string; ids: string[] }> }
  | { kind: "move"; groups: Array<{ mailboxId: string; ids: string[]; back: string }> };

export interface BulkResult {
  /** Messages changed or moved. */
  count: number;
  undo: Undo | null;
}

/** Ops take at most this many messages each, so one transaction never holds the writer for long. */
const CHUNK = 2000;
/** Prisma sends an `in` list as one parameter per value: SQLite allows 999 parameters in a statement. */
const READ_CHUNK = 500;

const FLAG_ACTIONS: Record<FlagAction, { flag: SystemFlag; mode: "add" | "remove" }> = {
  read: { flag: "seen", mode: "add" },
  unread: { flag: "seen", mode: "remove" },
  star: { flag: "flagged", mode: "add" },
  unstar: { flag: "flagged", mode: "remove" },
};

const SPECIAL_TARGET: Record<MoveAction, string> = { archive: "\\Archive", trash: "\\Trash", junk: "\\Junk", notjunk: "\\Inbox" };

function chunks<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The targets grouped by folder, as message ids (the account's only: others' ids are dropped). */
async function resolve(store: MailStore, accountId: string, targets: Targets): Promise<Array<{ mailboxId: string; ids: string[] }>> {
  const groups = new Map<string, string[]>();
  const add = (mailboxId: string, id: string) => {
    const g = groups.get(mailboxId);
    if (g) g.push(id);
    else groups.set(mailboxId, [id]);
  };
  if ("ids" in targets) {
    for (const part of chunks([...new Set(targets.ids)], READ_CHUNK)) {
      const rows = await store.db.message.findMany({ where: { accountId, id: { in: part } }, select: { id: true, mailboxId: true } });
      for (const r of rows) add(r.mailboxId, r.id);
    }
  } else {
    for (const { mailboxId, uids } of targets.byFolder) {
      for (const part of chunks(uids, READ_CHUNK)) {
        const rows = await store.db.message.findMany({ where: { accountId, mailboxId, uid: { in: part } }, select: { id: true } });
        for (const r of rows) add(mailboxId, r.id);
      }
    }
  }
  return [...groups].map(([mailboxId, ids]) => ({ mailboxId, ids }));
}

async function setFlag(store: MailStore, accountId: string, groups: Array<{ mailboxId: string; ids: string[] }>, flag: SystemFlag, mode: "add" | "remove") {
  const changed: Array<{ mailboxId: string; ids: string[] }> = [];
  for (const g of groups) {
    const ids: string[] = [];
    for (const part of chunks(g.ids)) {
      const r = await store.setFlags({ accountId, mailboxId: g.mailboxId, messageIds: part, mode, flags: [flag] });
      ids.push(...r.changed.map((c) => c.messageId));
    }
    if (ids.length) changed.push({ mailboxId: g.mailboxId, ids });
  }
  return changed;
}

/** Moves each group to `to` (a folder id); returns, per destination group, the moved ids and where they came from. */
async function moveGroups(store: MailStore, accountId: string, groups: Array<{ mailboxId: string; ids: string[] }>, to: (from: string) => string) {
  const moved: Array<{ mailboxId: string; ids: string[]; back: string }> = [];
  for (const g of groups) {
    const dest = to(g.mailboxId);
    if (dest === g.mailboxId) continue;
    // The undo addresses them by id: a move gives them new UIDs (RFC 6851) and keeps their ids.
    const ids: string[] = [];
    for (const part of chunks(g.ids)) {
      const r = await store.move({ accountId, fromMailboxId: g.mailboxId, messageIds: part, to: { id: dest } });
      ids.push(...r.messageIds);
    }
    if (ids.length) moved.push({ mailboxId: dest, ids, back: g.mailboxId });
  }
  return moved;
}

/** The account's folder id for an action's destination; null when there is none. */
async function destination(store: MailStore, accountId: string, action: MoveAction | { move: string }): Promise<string | null> {
  const where = typeof action === "string" ? { accountId, specialUse: SPECIAL_TARGET[action] } : { accountId, name: action.move.toUpperCase() === "INBOX" ? "INBOX" : action.move };
  const box = await store.db.mailbox.findFirst({ where, select: { id: true } });
  return box?.id ?? null;
}

export class OrganiseError extends Error {}

export async function applyBulk(store: MailStore, accountId: string, targets: Targets, action: BulkAction): Promise<BulkResult> {
  const groups = await resolve(store, accountId, targets);
  if (groups.length === 0) return { count: 0, undo: null };
  if (typeof action === "string" && action in FLAG_ACTIONS) {
    const { flag, mode } = FLAG_ACTIONS[action as FlagAction];
    const changed = await setFlag(store, accountId, groups, flag, mode);
    const count = changed.reduce((n, g) => n + g.ids.length, 0);
    return { count, undo: count ? { kind: "flags", flag, mode: mode === "add" ? "remove" : "add", groups: changed } : null };
  }
  const dest = await destination(store, accountId, action as MoveAction | { move: string });
  if (!dest) throw new OrganiseError("There is no such folder.");
  try {
    const moved = await moveGroups(store, accountId, groups, () => dest);
    const count = moved.reduce((n, g) => n + g.ids.length, 0);
    return { count, undo: count ? { kind: "move", groups: moved } : null };
  } catch (err) {
    if (isStoreError(err)) throw new OrganiseError(err.message);
    throw err;
  }
}

/** Reverts an action's changes; returns how many messages were put back. */
export async function applyUndo(store: MailStore, accountId: string, undo: Undo): Promise<number> {
  if (undo.kind === "flags") {
    const changed = await setFlag(store, accountId, undo.groups, undo.flag, undo.mode);
    return changed.reduce((n, g) => n + g.ids.length, 0);
  }
  let count = 0;
  for (const g of undo.groups) {
    const moved = await moveGroups(store, accountId, [{ mailboxId: g.mailboxId, ids: g.ids }], () => g.back).catch((err) => {
      if (isStoreError(err)) return []; // the folder went away meanwhile: nothing to put back there
      throw err;
    });
    count += moved.reduce((n, m) => n + m.ids.length, 0);
  }
  return count;
}
