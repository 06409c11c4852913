/**
 * Flags and keywords (RFC 3501 2.3.2, 6.4.6 STORE; RFC 7162 3.1.3 UNCHANGEDSINCE). One
 * call changes any number of one mailbox's messages under one new MODSEQ; messages
 * whose flags do not change keep theirs. The messages that end with the same flags and
 * keywords are written by one UPDATE (a STORE 1:* +FLAGS is one statement, not one per
 * message: on PostgreSQL a round trip each). Keywords live in Message.keywords (for FETCH)
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

/**
 * What the op returns: the changes packed (UIDs, ids and an index into the few distinct
 * end states), so the writer thread's message for a STORE 1:* is a few arrays, not
 * 10,000 objects to copy. MailStore.setFlags unpacks it (unpackFlags).
 */
export interface PackedFlagChanges {
  modSeq: string | null;
  uids: number[];
  ids: string[];
  /** Per change, its index in `states`. */
  stateOf: number[];
  states: Array<{ flags: SystemFlag[]; keywords: string[] }>;
  modified: number[];
}

export function unpackFlags(p: PackedFlagChanges): SetFlagsResult {
  const changed: FlagChange[] = new Array(p.uids.length);
  for (let i = 0; i < p.uids.length; i++) {
    const st = p.states[p.stateOf[i]];
    changed[i] = { uid: p.uids[i], messageId: p.ids[i], flags: st.flags, keywords: st.keywords, modSeq: p.modSeq! };
  }
  return { modSeq: p.modSeq, changed, modified: p.modified };
}

interface FlagRow {
  id: string;
  uid: number;
  modSeq: number | string;
  /** The five system flags as bits, in SYSTEM_FLAGS order. */
  bits: number;
  keywords: string;
}

/** SYSTEM_FLAGS as bits of one number, read in SQL: fewer values per row than five columns. */
function bitsColumn(tx: StoreTx): string {
  const int = (c: string) => (tx.dialect === "postgresql" ? `"${c}"::int` : `"${c}"`);
  return SYSTEM_FLAGS.map((f, i) => `${1 << i} * ${int(f)}`).join(" + ");
}

function fromBits(bits: number): SystemFlags {
  return { seen: (bits & 1) !== 0, answered: (bits & 2) !== 0, flagged: (bits & 4) !== 0, deleted: (bits & 8) !== 0, draft: (bits & 16) !== 0 };
}

function toBits(f: SystemFlags): number {
  return SYSTEM_FLAGS.reduce((b, x, i) => (f[x] ? b | (1 << i) : b), 0);
}

/** Statements take at most this many UIDs (a parameter holding a list). */
const UPDATE_CHUNK = 5000;

export async function setFlags(tx: StoreTx, a: SetFlagsArgs): Promise<PackedFlagChanges> {
  const none = (modified: number[]): PackedFlagChanges => ({ modSeq: null, uids: [], ids: [], stateOf: [], states: [], modified });
  const keywords = normaliseKeywords(a.keywords ?? []);
  const mb = await lockMailbox(tx, a.accountId, { id: a.mailboxId });
  const byUid = a.uids !== undefined;
  const list = byUid ? a.uids! : a.messageIds ?? [];
  if (list.length === 0) return none([]);
  const rows: FlagRow[] = (
    await tx.arrays(
      `SELECT "id", "uid", "modSeq", ${bitsColumn(tx)}, "keywords" FROM "Message"
       WHERE "mailboxId" = $1 AND "accountId" = $2 AND ${byUid ? `"uid" ${inList(tx, 3, "int")}` : `"id" ${inList(tx, 3)}`} ORDER BY "uid"`,
      [mb.id, a.accountId, list],
    )
  ).map((r) => ({ id: r[0] as string, uid: Number(r[1]), modSeq: r[2] as number | string, bits: Number(r[3]), keywords: (r[4] as string) ?? "" }));
  const limit = a.unchangedSince != null ? BigInt(a.unchangedSince) : null;
  const modified: number[] = [];
  const pending: Array<{ row: FlagRow; flags: SystemFlags; kw: string[] }> = [];
  for (const row of rows) {
    if (limit !== null && BigInt(row.modSeq) > limit) {
      modified.push(row.uid);
      continue;
    }
    const before = fromBits(row.bits);
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
  if (pending.length === 0) return none(modified);

  const { modSeq } = await bumpMailbox(tx, mb.id);
  const out: PackedFlagChanges = { modSeq: modSeq.toString(), uids: [], ids: [], stateOf: [], states: [], modified };
  // Messages ending with the same flags and keywords, by that state.
  const groups = new Map<string, { index: number; flags: SystemFlags; keywords: string; uids: number[] }>();
  for (const p of pending) {
    const kw = p.kw.join(" ");
    const key = `${toBits(p.flags)} ${kw}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, (g = { index: out.states.length, flags: p.flags, keywords: kw, uids: [] }));
      out.states.push({ flags: SYSTEM_FLAGS.filter((x) => p.flags[x]), keywords: p.kw });
    }
    g.uids.push(p.row.uid);
    const beforeKw = p.row.keywords ? p.row.keywords.split(" ") : [];
    if (kw !== p.row.keywords) await writeKeywordIndex(tx, mb.id, p.row.id, p.kw.filter((k) => !beforeKw.includes(k)), beforeKw.filter((k) => !p.kw.includes(k)));
    out.uids.push(p.row.uid);
    out.ids.push(p.row.id);
    out.stateOf.push(g.index);
  }
  for (const g of groups.values()) {
    const f = g.flags;
    for (let i = 0; i < g.uids.length; i += UPDATE_CHUNK) {
      await tx.run(
        `UPDATE "Message" SET "seen" = $3, "answered" = $4, "flagged" = $5, "deleted" = $6, "draft" = $7, "keywords" = $8, "modSeq" = $9 WHERE "mailboxId" = $1 AND "uid" ${inList(tx, 2, "int")}`,
        [mb.id, g.uids.slice(i, i + UPDATE_CHUNK), f.seen, f.answered, f.flagged, f.deleted, f.draft, g.keywords, modSeq],
      );
    }
  }
  await rememberKeywords(tx, mb.id, keywords);
  await recordChange(tx, { accountId: a.accountId, mailboxId: mb.id, modSeq, kind: "flags", uids: out.uids });
  return out;
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
