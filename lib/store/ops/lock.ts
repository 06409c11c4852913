/** Row locks shared by the ops: a mailbox is locked before its messages are read or changed. */
import { StoreError } from "../errors";
import type { StoreTx } from "../tx";

export interface LockedMailbox {
  id: string;
  name: string;
  accountId: string;
  uidValidity: number;
  uidNext: number;
  highestModSeq: bigint;
}

/**
 * The account's mailbox, locked until the transaction ends (SELECT ... FOR UPDATE on
 * PostgreSQL; on SQLite the transaction already holds the database's write lock).
 * Throws no-mailbox when it is not the account's: one account never reaches another's.
 */
export async function lockMailbox(tx: StoreTx, accountId: string, ref: { id?: string; name?: string }): Promise<LockedMailbox> {
  const where = ref.id !== undefined ? `"id" = $2` : `"name" = $2`;
  const row = await tx.get<{ id: string; name: string; accountId: string; uidValidity: number; uidNext: number; highestModSeq: number | string }>(
    `SELECT "id", "name", "accountId", "uidValidity", "uidNext", "highestModSeq" FROM "Mailbox" WHERE "accountId" = $1 AND ${where}${tx.dialect === "postgresql" ? " FOR UPDATE" : ""}`,
    [accountId, ref.id ?? ref.name],
  );
  if (!row) throw new StoreError("no-mailbox", `no such folder: ${ref.name ?? ref.id}`);
  return { ...row, uidValidity: Number(row.uidValidity), uidNext: Number(row.uidNext), highestModSeq: BigInt(row.highestModSeq) };
}

/** Gives the mailbox its next MODSEQ (RFC 7162 3.1) and `uids` more UIDs; returns the MODSEQ and the first new UID. */
export async function bumpMailbox(tx: StoreTx, mailboxId: string, uids = 0): Promise<{ modSeq: bigint; firstUid: number }> {
  const r = await tx.get<{ highestModSeq: number | string; uidNext: number }>(
    `UPDATE "Mailbox" SET "highestModSeq" = "highestModSeq" + 1, "uidNext" = "uidNext" + $2 WHERE "id" = $1 RETURNING "highestModSeq", "uidNext"`,
    [mailboxId, uids],
  );
  if (!r) throw new StoreError("no-mailbox", `folder ${mailboxId} vanished`);
  return { modSeq: BigInt(r.highestModSeq), firstUid: Number(r.uidNext) - uids };
}
