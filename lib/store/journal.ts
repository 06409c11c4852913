/**
 * The change journal: every change the store makes to a mailbox appends one row to
 * MailboxChange in the same transaction (what changed: account, mailbox, the mailbox's
 * new MODSEQ, the kind, the UIDs). IMAP CONDSTORE/QRESYNC (RFC 7162) and the webmail's
 * catch-up after a reconnect ask changesSince(); live subscribers are told through
 * change-feed.ts. On PostgreSQL the row also raises a NOTIFY, delivered at commit.
 */
import type { StoreTx } from "./tx";
import { toSequenceSet } from "./sequence-set";

export type ChangeKind = "append" | "flags" | "expunge" | "mailbox-create" | "mailbox-rename" | "mailbox-delete" | "mailbox-update";

export const NOTIFY_CHANNEL = "mail_change";

export interface ChangeRecord {
  accountId: string;
  mailboxId: string;
  modSeq: bigint | number;
  kind: ChangeKind;
  uids?: Iterable<number>;
}

const INSERT_CHANGE = `INSERT INTO "MailboxChange" ("accountId", "mailboxId", "modSeq", "kind", "uids", "createdAt") VALUES ($1, $2, $3, $4, $5, $6)`;

export async function recordChange(tx: StoreTx, c: ChangeRecord): Promise<void> {
  const params = [c.accountId, c.mailboxId, BigInt(c.modSeq), c.kind, c.uids ? toSequenceSet(c.uids) : "", new Date()];
  if (tx.dialect === "sqlite") {
    await tx.run(INSERT_CHANGE, params);
    return;
  }
  // One round trip: the row and its NOTIFY (delivered when the transaction commits).
  await tx.run(`WITH c AS (${INSERT_CHANGE} RETURNING "accountId") SELECT pg_notify($7, "accountId") FROM c`, [...params, NOTIFY_CHANNEL]);
}

/** A journal row as read back (modSeq as a decimal string: it is a BIGINT). */
export interface Change {
  id: number;
  accountId: string;
  mailboxId: string;
  modSeq: string;
  kind: ChangeKind;
  uids: string;
  createdAt: string;
}

const COLUMNS = `"id", "accountId", "mailboxId", CAST("modSeq" AS TEXT) AS "modSeq", "kind", "uids", CAST("createdAt" AS TEXT) AS "createdAt"`;

/** What changed in one mailbox after MODSEQ `since`, oldest first. */
export async function changesSince(tx: StoreTx, mailboxId: string, since: bigint | number, limit = 10_000): Promise<Change[]> {
  const rows = await tx.all<Change>(`SELECT ${COLUMNS} FROM "MailboxChange" WHERE "mailboxId" = $1 AND "modSeq" > $2 ORDER BY "id" LIMIT $3`, [mailboxId, BigInt(since), limit]);
  return rows.map(normalise);
}

/** Journal rows after id `after` (all accounts, or one), oldest first: the feed's catch-up. */
export async function changesAfterId(tx: StoreTx, after: number, accountId?: string, limit = 1000): Promise<Change[]> {
  const rows = accountId
    ? await tx.all<Change>(`SELECT ${COLUMNS} FROM "MailboxChange" WHERE "accountId" = $1 AND "id" > $2 ORDER BY "id" LIMIT $3`, [accountId, after, limit])
    : await tx.all<Change>(`SELECT ${COLUMNS} FROM "MailboxChange" WHERE "id" > $1 ORDER BY "id" LIMIT $2`, [after, limit]);
  return rows.map(normalise);
}

export async function lastChangeId(tx: StoreTx): Promise<number> {
  const r = await tx.get<{ id: number | null }>(`SELECT max("id") AS "id" FROM "MailboxChange"`);
  return Number(r?.id ?? 0);
}

function normalise(r: Change): Change {
  return { ...r, id: Number(r.id), modSeq: String(r.modSeq) };
}
