/**
 * The webmail's search: the query language (lib/search-query) run by the store's search
 * (lib/store/search.ts, full-text index) over the folders in scope, newest first.
 * Without in:, every folder but Trash and Junk is searched (as Gmail); in:anywhere
 * searches those too. Every query is scoped to the account (searchMessages filters by it).
 */
import type { MailStore } from "../store";
import { searchMessages } from "../store/search";
import { LIST_SELECT, listFolders, toListItem, type FolderInfo, type MessageListItem } from "../store/read";
import { parseQuery, type ParsedQuery } from "../search-query";

export interface SearchHit extends MessageListItem {
  mailboxName: string;
}

export interface SearchResult {
  query: ParsedQuery;
  /** Newest first, at most `limit`. */
  hits: SearchHit[];
  /** How many messages match in all. */
  total: number;
  /** The in: folder named that the account does not have (nothing was searched). */
  missingFolder: string | null;
}

const SKIPPED_BY_DEFAULT = new Set(["\\Trash", "\\Junk"]);

/** The folders a query searches. */
export function scopeFolders(folders: FolderInfo[], scope: string | null): FolderInfo[] | null {
  if (scope === "anywhere") return folders;
  if (scope === null) return folders.filter((f) => !f.specialUse || !SKIPPED_BY_DEFAULT.has(f.specialUse));
  const wanted = scope.toUpperCase() === "INBOX" ? "INBOX" : scope;
  // in:sent, in:trash: Gmail's lower-case names reach the special-use folders too.
  const f = folders.find((x) => x.name === wanted) ?? folders.find((x) => x.name.toLowerCase() === wanted.toLowerCase());
  return f ? [f] : null;
}

/** The ids (with their folders) of every message matching the query: bulk actions on "all N matching". */
export async function matchingIds(store: MailStore, accountId: string, q: string, now = new Date()): Promise<Array<{ mailboxId: string; uids: number[] }>> {
  const query = parseQuery(q, now);
  return searchFolders(store, accountId, query, scopeFolders(await listFolders(store.db, accountId), query.folder) ?? []);
}

async function searchFolders(store: MailStore, accountId: string, query: ParsedQuery, folders: FolderInfo[]): Promise<Array<{ mailboxId: string; uids: number[] }>> {
  const out: Array<{ mailboxId: string; uids: number[] }> = [];
  // One folder at a time: on SQLite the reads share one connection anyway.
  for (const f of folders) {
    if (f.total === 0) continue;
    const uids = await searchMessages(store, accountId, f.id, query.key);
    if (uids.length) out.push({ mailboxId: f.id, uids });
  }
  return out;
}

export async function searchMail(store: MailStore, accountId: string, q: string, opts: { limit?: number; now?: Date } = {}): Promise<SearchResult> {
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 500));
  const query = parseQuery(q, opts.now ?? new Date());
  const folders = await listFolders(store.db, accountId);
  const scoped = scopeFolders(folders, query.folder);
  if (!scoped) return { query, hits: [], total: 0, missingFolder: query.folder };
  const byId = new Map(folders.map((f) => [f.id, f]));
  const found = await searchFolders(store, accountId, query, scoped);
  let total = 0;
  const hits: SearchHit[] = [];
  for (const { mailboxId, uids } of found) {
    total += uids.length;
    // UIDs grow with arrival: each folder's newest `limit` are the only candidates for the first page.
    const top = uids.slice(-limit);
    const rows = await store.db.message.findMany({ where: { accountId, mailboxId, uid: { in: top } }, select: LIST_SELECT });
    const name = byId.get(mailboxId)?.name ?? "";
    for (const r of rows) hits.push({ ...toListItem(r), mailboxName: name });
  }
  hits.sort((a, b) => b.internalDate.getTime() - a.internalDate.getTime() || b.uid - a.uid);
  return { query, hits: hits.slice(0, limit), total, missingFolder: null };
}
