/**
 * Removing messages from a mailbox (RFC 3501 6.4.3 EXPUNGE, RFC 4315 UID EXPUNGE, the
 * web's "delete forever"). The mailbox gets a new MODSEQ; each removed UID is written
 * to ExpungedMessage with it (RFC 7162 QRESYNC's VANISHED); the rows go, and with them
 * (triggers) the counters, the account's used bytes and the blobs' reference counts.
 */
import { recordChange } from "../journal";
import { inList, type StoreTx } from "../tx";
import { createId } from "../../domain/ids";
import { bumpMailbox, lockMailbox } from "./lock";

export interface ExpungeArgs {
  accountId: string;
  mailboxId: string;
  /** Only these UIDs (UID EXPUNGE, or a move); all when absent. */
  uids?: number[];
  /** By message id (the web); overrides uids. */
  messageIds?: string[];
  /** EXPUNGE removes only messages flagged \Deleted; a move or the web's delete removes the given ones. */
  onlyDeleted: boolean;
}

export interface ExpungeResult {
  uids: number[];
  modSeq: string | null;
}

export async function expunge(tx: StoreTx, a: ExpungeArgs): Promise<ExpungeResult> {
  const mb = await lockMailbox(tx, a.accountId, { id: a.mailboxId });
  return expungeLocked(tx, a.accountId, mb.id, a);
}

/** expunge() for a mailbox the caller has already locked. */
export async function expungeLocked(tx: StoreTx, accountId: string, mailboxId: string, a: Omit<ExpungeArgs, "accountId" | "mailboxId">): Promise<ExpungeResult> {
  const params: unknown[] = [mailboxId, accountId];
  let where = `"mailboxId" = $1 AND "accountId" = $2`;
  if (a.onlyDeleted) where += ` AND "deleted" = TRUE`;
  if (a.messageIds) {
    params.push(a.messageIds);
    where += ` AND "id" ${inList(tx, params.length)}`;
  } else if (a.uids) {
    params.push(a.uids);
    where += ` AND "uid" ${inList(tx, params.length, "int")}`;
  }
  const rows = await tx.all<{ id: string; uid: number }>(`SELECT "id", "uid" FROM "Message" WHERE ${where} ORDER BY "uid"`, params);
  if (rows.length === 0) return { uids: [], modSeq: null };
  const uids = rows.map((r) => Number(r.uid));
  const modSeq = await recordExpunged(tx, accountId, mailboxId, uids, () => tx.run(`DELETE FROM "Message" WHERE "id" ${inList(tx, 1)}`, [rows.map((r) => r.id)]));
  return { uids, modSeq: modSeq.toString() };
}

/**
 * The bookkeeping of UIDs leaving a mailbox (an expunge, or a move's source): a new
 * MODSEQ, their ExpungedMessage rows (one statement however many) and the journal entry;
 * `remove` takes the rows away in between.
 */
export async function recordExpunged(tx: StoreTx, accountId: string, mailboxId: string, uids: number[], remove: () => Promise<unknown>): Promise<bigint> {
  const { modSeq } = await bumpMailbox(tx, mailboxId);
  const ids = uids.map(() => createId());
  if (tx.dialect === "sqlite") {
    await tx.run(`INSERT INTO "ExpungedMessage" ("id", "mailboxId", "uid", "modSeq") SELECT j.value ->> 0, $1, j.value ->> 1, $2 FROM json_each($3) j`, [
      mailboxId,
      modSeq,
      uids.map((u, i) => [ids[i], u]),
    ]);
  } else {
    await tx.run(`INSERT INTO "ExpungedMessage" ("id", "mailboxId", "uid", "modSeq") SELECT n.id, $1, n.uid, $2 FROM unnest($3::text[], $4::integer[]) AS n(id, uid)`, [mailboxId, modSeq, ids, uids]);
  }
  await remove();
  await recordChange(tx, { accountId, mailboxId, modSeq, kind: "expunge", uids });
  return modSeq;
}
