/**
 * Flags and keywords (RFC 3501 2.3.2, 6.4.6 STORE; RFC 7162 3.1.3 UNCHANGEDSINCE). One
 * call changes any number of one mailbox's messages under one new MODSEQ; messages
 * whose flags do not change keep theirs. Keywords live in Message.keywords (for FETCH)
 * and in MessageKeyword (for SEARCH KEYWORD through an index); the mailbox remembers
 * every keyword it has seen, for FLAGS and PERMANENTFLAGS.
 */
import { StoreError } from "../errors";
import { recordChange } from "../journal";
import { inList, type StoreTx } from "../tx";
import { bumpMailbox, lockMailbox } from "./lock";

export const SYSTEM_FLAGS = ["seen", "answered", "flagged", "deleted", "draft"] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];
export type SystemFlags = Record<SystemFlag, boolean>;

/** RFC 3501 9: flag-keyword = atom; we also refuse "\" (system flags are not keywords). */
const KEYWORD = /^[^\s(){%*"\\\]\x00-\x1f\x7f]{1,100}$/;

export function normaliseKeywords(list: string[]): string[] {
  const out = new Set<string>();
  for (const k of list) {
    if (!KEYWORD.test(k)) throw new StoreError("invalid", `not a keyword: ${JSON.stringify(k)}`);
    out.add(k);
  }
  return [...out].sort();
}

export interface SetFlagsArgs {
  accountId: string;
  mailboxId: string;
  /** The messages, by UID (IMAP) or by id (web); one of the two. */
  uids?: number[];
  messageIds?: string[];
  mode: "add" | "remove" | "replace";
  flags: SystemFlag[];
  keywords?: string[];
  /** RFC 7162 UNCHANGEDSINCE: messages whose MODSEQ is above this are left alone and reported. */
  unchangedSince?: string | null;
}

export interface FlagChange {
  uid: number;
  messageId: string;
  flags: SystemFlag[];
  keywords: string[];
  modSeq: string;
}

export interface SetFlagsResult {
  /** The mailbox's new HIGHESTMODSEQ, or null when nothing changed. */
  modSeq: string | null;
  changed: FlagChange[];
  /** UIDs refused by UNCHANGEDSINCE (RFC 7162 3.1.3: the MODIFIED response code). */
  modified: number[];
}

interface FlagRow {
  id: string;
  uid: number;
  modSeq: number | string;
  seen: number | boolean;
  answered: number | boolean;
  flagged: number | boolean;
  deleted: number | boolean;
  draft: number | boolean;
  keywords: string;
}

export async function setFlags(tx: StoreTx, a: SetFlagsArgs): Promise<SetFlagsResult> {
  const keywords = normaliseKeywords(a.keywords ?? []);
  const mb = await lockMailbox(tx, a.accountId, { id: a.mailboxId });
  const byUid = a.uids !== undefined;
  const list = byUid ? a.uids! : a.messageIds ?? [];
  if (list.length === 0) return { modSeq: null, changed: [], modified: [] };
  const rows = await tx.all<FlagRow>(
    `SELECT "id", "uid", "modSeq", "seen", "answered", "flagged", "deleted", "draft", "keywords" FROM "Message"
     WHERE "mailboxId" = $1 AND "accountId" = $2 AND ${byUid ? `"uid" ${inList(tx, 3, "int")}` : `"id" ${inList(tx, 3)}`} ORDER BY "uid"`,
    [mb.id, a.accountId, list],
  );
  const limit = a.unchangedSince != null ? BigInt(a.unchangedSince) : null;
  const modified: number[] = [];
  const pending: Array<{ row: FlagRow; flags: SystemFlags; kw: string[] }> = [];
  for (const row of rows) {
    if (limit !== null && BigInt(row.modSeq) > limit) {
      modified.push(row.uid);
      continue;
    }
    const before = flagsOf(row);
    const beforeKw = row.keywords ? row.keywords.split(" ") : [];
    const after = { ...before };
    let kw: string[];
    if (a.mode === "replace") {
      for (const f of SYSTEM_FLAGS) after[f] = a.flags.includes(f);
      kw = keywords;
    } else {
      for (const f of a.flags) after[f] = a.mode === "add";
      kw = a.mode === "add" ? [...new Set([...beforeKw, ...keywords])].sort() : beforeKw.filter((k) => !keywords.includes(k));
    }
    const same = SYSTEM_FLAGS.every((f) => before[f] === after[f]) && kw.join(" ") === beforeKw.join(" ");
    if (!same) pending.push({ row, flags: after, kw });
  }
  if (pending.length === 0) return { modSeq: null, changed: [], modified };

  const { modSeq } = await bumpMailbox(tx, mb.id);
  const changed: FlagChange[] = [];
  for (const p of pending) {
    const f = p.flags;
    await tx.run(`UPDATE "Message" SET "seen" = $2, "answered" = $3, "flagged" = $4, "deleted" = $5, "draft" = $6, "keywords" = $7, "modSeq" = $8 WHERE "id" = $1`, [
      p.row.id, f.seen, f.answered, f.flagged, f.deleted, f.draft, p.kw.join(" "), modSeq,
    ]);
    const beforeKw = p.row.keywords ? p.row.keywords.split(" ") : [];
    await writeKeywordIndex(tx, mb.id, p.row.id, p.kw.filter((k) => !beforeKw.includes(k)), beforeKw.filter((k) => !p.kw.includes(k)));
    changed.push({ uid: p.row.uid, messageId: p.row.id, flags: SYSTEM_FLAGS.filter((x) => f[x]), keywords: p.kw, modSeq: modSeq.toString() });
  }
  await rememberKeywords(tx, mb.id, keywords);
  await recordChange(tx, { accountId: a.accountId, mailboxId: mb.id, modSeq, kind: "flags", uids: changed.map((c) => c.uid) });
  return { modSeq: modSeq.toString(), changed, modified };
}

export function flagsOf(row: Pick<FlagRow, SystemFlag>): SystemFlags {
  return { seen: !!Number(row.seen), answered: !!Number(row.answered), flagged: !!Number(row.flagged), deleted: !!Number(row.deleted), draft: !!Number(row.draft) };
}

export async function writeKeywordIndex(tx: StoreTx, mailboxId: string, messageId: string, added: string[], removed: string[]): Promise<void> {
  for (const k of added) {
    await tx.run(`INSERT INTO "MessageKeyword" ("messageId", "mailboxId", "keyword") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [messageId, mailboxId, k]);
  }
  for (const k of removed) await tx.run(`DELETE FROM "MessageKeyword" WHERE "messageId" = $1 AND "keyword" = $2`, [messageId, k]);
}

/** Index entries for many messages at once: [message id, keyword] pairs, one statement. */
export async function insertKeywordIndex(tx: StoreTx, mailboxId: string, pairs: Array<[string, string]>): Promise<void> {
  if (pairs.length === 0) return;
  if (tx.dialect === "sqlite") {
    await tx.run(`INSERT INTO "MessageKeyword" ("messageId", "mailboxId", "keyword") SELECT j.value ->> 0, $1, j.value ->> 1 FROM json_each($2) j WHERE true ON CONFLICT DO NOTHING`, [mailboxId, pairs]);
  } else {
    await tx.run(`INSERT INTO "MessageKeyword" ("messageId", "mailboxId", "keyword") SELECT n.id, $1, n.kw FROM unnest($2::text[], $3::text[]) AS n(id, kw) ON CONFLICT DO NOTHING`, [
      mailboxId,
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    ]);
  }
}

/** Adds keywords to the mailbox's known set (never shrinks: clients cache FLAGS). */
export async function rememberKeywords(tx: StoreTx, mailboxId: string, keywords: string[]): Promise<void> {
  if (keywords.length === 0) return;
  const row = await tx.get<{ keywords: string }>(`SELECT "keywords" FROM "Mailbox" WHERE "id" = $1`, [mailboxId]);
  const known = new Set(row?.keywords ? row.keywords.split(" ") : []);
  const before = known.size;
  for (const k of keywords) known.add(k);
  if (known.size !== before) await tx.run(`UPDATE "Mailbox" SET "keywords" = $2 WHERE "id" = $1`, [mailboxId, [...known].sort().join(" ")]);
}
